package io.switchboard.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.GenerationOptions;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.ToolCall;
import io.switchboard.schema.wire.Json;

/** llama.cpp's generic tool format: the schema an answer follows, the prompt, and reading answers back. */
class GenericToolFormatTest {
    static final String TOOLS = """
            [{"type":"function","function":{"name":"get_weather","description":"The weather of a city",
              "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
             {"type":"function","function":{"name":"get_time","parameters":{"type":"object"}}}]""";

    static GenerationOptions options(String toolChoice, Boolean parallel, String responseFormat) throws Exception {
        return new GenerationOptions(1, false, null, responseFormat == null ? null : Json.MAPPER.readTree(responseFormat),
                Json.MAPPER.readTree(TOOLS), toolChoice == null ? null : Json.MAPPER.readTree(toolChoice), parallel, null);
    }

    static JsonNode schema(GenerationOptions o) throws Exception {
        return GenericToolFormat.of(o).schema();
    }

    @Test
    void noToolsOrToolChoiceNoneMeansNoFormat() throws Exception {
        assertThat(GenericToolFormat.of(GenerationOptions.DEFAULT)).isNull();
        assertThat(GenericToolFormat.of(options("\"none\"", null, null))).isNull();
    }

    @Test
    void autoLetsTheModelCallAnyToolOrReplyInText() throws Exception {
        JsonNode s = schema(options(null, null, null));
        JsonNode calls = s.at("/anyOf/0/properties/tool_calls");
        assertThat(calls.get("type").asText()).isEqualTo("array");
        assertThat(calls.get("minItems").asInt()).isEqualTo(1);
        assertThat(calls.at("/items/anyOf")).hasSize(2);
        assertThat(calls.at("/items/anyOf/0/properties/name/const").asText()).isEqualTo("get_weather");
        assertThat(calls.at("/items/anyOf/0/properties/arguments/required/0").asText()).isEqualTo("city");
        assertThat(calls.at("/items/anyOf/1/properties/name/const").asText()).isEqualTo("get_time");
        assertThat(s.at("/anyOf/1/properties/response/type").asText()).isEqualTo("string");
        assertThat(s.at("/anyOf/1/required/0").asText()).isEqualTo("response");
    }

    @Test
    void requiredAllowsOnlyCalls() throws Exception {
        JsonNode s = schema(options("\"required\"", null, null));
        assertThat(s.has("anyOf")).isFalse();
        assertThat(s.at("/required/0").asText()).isEqualTo("tool_calls");
    }

    @Test
    void aNamedFunctionIsCalledOnceAndIsTheOnlyOneItsAnswerMayCall() throws Exception {
        JsonNode s = schema(options("{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}", null, null));
        assertThat(s.has("anyOf")).isFalse();
        assertThat(s.at("/required/0").asText()).isEqualTo("tool_call");
        assertThat(s.at("/properties/tool_call/properties/name/const").asText()).isEqualTo("get_time");
    }

    @Test
    void eachToolsDefinitionsMoveToTheRootUnderNamesOfTheirOwnAndItsReferencesFollow() throws Exception {
        String tools = """
                [{"type":"function","function":{"name":"a","parameters":{"type":"object","properties":{
                   "who":{"$ref":"#/$defs/Person"},"default":{"$ref":"#/$defs/Person"},"why":{"type":"string","default":{"$ref":"#"}}},
                   "$defs":{"Person":{"type":"object","properties":{"friend":{"$ref":"#/$defs/Person"}}}}}}},
                 {"type":"function","function":{"name":"b","parameters":{"type":"object","properties":{
                   "who":{"$ref":"#/definitions/Person"}},"definitions":{"Person":{"type":"string"}}}}},
                 {"type":"function","function":{"name":"c","parameters":{"type":"object","properties":{
                   "x":{"type":"integer"},"y":{"$ref":"#/properties/x"},"again":{"$ref":"#"}}}}}]""";
        GenerationOptions o = new GenerationOptions(1, false, null, null, Json.MAPPER.readTree(tools),
                Json.MAPPER.readTree("\"required\""), null, null);
        JsonNode s = GenericToolFormat.of(o).schema();
        JsonNode items = s.at("/properties/tool_calls/items/anyOf");
        JsonNode a = items.at("/0/properties/arguments");
        assertThat(a.at("/properties/who/$ref").asText()).isEqualTo("#/$defs/tool0-Person");
        assertThat(a.at("/properties/default/$ref").asText()).as("a property named default").isEqualTo("#/$defs/tool0-Person");
        assertThat(a.at("/properties/why/default/$ref").asText()).as("data is not a reference").isEqualTo("#");
        assertThat(a.has("$defs")).isFalse();
        assertThat(s.at("/$defs/tool0-Person/properties/friend/$ref").asText()).isEqualTo("#/$defs/tool0-Person");
        assertThat(items.at("/1/properties/arguments/properties/who/$ref").asText()).isEqualTo("#/$defs/tool1-Person");
        assertThat(s.at("/$defs/tool1-Person/type").asText()).as("the other tool's Person is its own").isEqualTo("string");
        assertThat(items.at("/2/properties/arguments/$ref").asText()).as("a tool that refers to itself moves")
                .isEqualTo("#/$defs/tool2");
        assertThat(s.at("/$defs/tool2/properties/y/$ref").asText()).isEqualTo("#/$defs/tool2/properties/x");
        assertThat(s.at("/$defs/tool2/properties/again/$ref").asText()).isEqualTo("#/$defs/tool2");
    }

    @Test
    void withoutParallelCallsTheAnswerMakesOneCall() throws Exception {
        JsonNode s = schema(options("\"required\"", false, null));
        assertThat(s.at("/required/0").asText()).isEqualTo("tool_call");
        assertThat(s.at("/properties/tool_call/anyOf")).hasSize(2);
    }

    @Test
    void aReplyFollowsTheResponseFormatsSchema() throws Exception {
        JsonNode s = schema(options(null, null, """
                {"type":"json_schema","json_schema":{"name":"f","schema":{"type":"object","properties":{"x":{"type":"integer"}}}}}"""));
        assertThat(s.at("/anyOf/1/properties/response/properties/x/type").asText()).isEqualTo("integer");
    }

    @Test
    void aNamedFunctionThatIsNotInToolsIsRejected() {
        assertThatThrownBy(() -> GenericToolFormat.of(options("{\"type\":\"function\",\"function\":{\"name\":\"nope\"}}",
                null, null)))
                .isInstanceOfSatisfying(EngineException.class,
                        e -> assertThat(e.code()).isEqualTo(FailureCode.ENGINE_REJECTED_REQUEST));
    }

    @Test
    void thePromptTellsTheToolsInTheFirstSystemMessage() throws Exception {
        List<PromptMessage> prompt = GenericToolFormat.of(options(null, null, null)).prompt(List.of(
                new PromptMessage("developer", "Be brief."), new PromptMessage("user", "Weather?")));
        assertThat(prompt).hasSize(2);
        assertThat(prompt.getFirst().role()).isEqualTo("system");
        assertThat(prompt.getFirst().content()).startsWith("Be brief.\n\n").contains("\"name\":\"get_weather\"")
                .contains("\"description\":\"The weather of a city\"").contains("`tool_calls`").contains("`response`");
        List<PromptMessage> required = GenericToolFormat.of(options("\"required\"", null, null))
                .prompt(List.of(new PromptMessage("user", "Weather?")));
        assertThat(required.getFirst().role()).isEqualTo("system");
        assertThat(required.getFirst().content()).doesNotContain("`response`");
        assertThat(required.get(1)).isEqualTo(new PromptMessage("user", "Weather?"));
    }

    @Test
    void earlierCallsAndToolResultsAreWrittenAsText() throws Exception {
        List<PromptMessage> history = GenericToolFormat.history(List.of(
                new PromptMessage("user", "Weather?"),
                new PromptMessage("assistant", null, null, List.of(ToolCall.function("call_1", "get_weather", "{\"city\":\"Paris\"}")),
                        null),
                new PromptMessage("tool", "sunny", "get_weather", null, "call_1")));
        assertThat(history.get(1).role()).isEqualTo("assistant");
        assertThat(Json.MAPPER.readTree(history.get(1).content())).isEqualTo(Json.MAPPER.readTree(
                "{\"tool_calls\":[{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"},\"id\":\"call_1\"}]}"));
        assertThat(history.get(2).role()).isEqualTo("user");
        assertThat(Json.MAPPER.readTree(history.get(2).content())).isEqualTo(Json.MAPPER.readTree(
                "{\"tool_response\":{\"tool_call_id\":\"call_1\",\"tool\":\"get_weather\",\"content\":\"sunny\"}}"));
    }

    @Test
    void anEarlierSingleCallIsWrittenAsTheFormatAsksForIt() throws Exception {
        List<PromptMessage> conversation = List.of(new PromptMessage("user", "Weather?"), new PromptMessage("assistant", null,
                null, List.of(ToolCall.function("call_1", "get_weather", "{\"city\":\"Paris\"}")), null));
        assertThat(GenericToolFormat.of(options("\"required\"", false, null)).prompt(conversation).get(2).content())
                .startsWith("{\"tool_call\":{\"name\":\"get_weather\"");
        assertThat(GenericToolFormat.of(options("\"required\"", null, null)).prompt(conversation).get(2).content())
                .startsWith("{\"tool_calls\":[{\"name\":\"get_weather\"");
    }

    @Test
    void toolResultsAndTheUsersNextWordsAreOneUserTurn() {
        List<PromptMessage> history = GenericToolFormat.history(List.of(
                new PromptMessage("user", "Weather?"),
                new PromptMessage("assistant", null, null, List.of(ToolCall.function("call_1", "get_weather", "{}"),
                        ToolCall.function("call_2", "get_weather", "{}")), null),
                new PromptMessage("tool", "sunny", null, null, "call_1"),
                new PromptMessage("tool", "rainy", null, null, "call_2"),
                new PromptMessage("user", "And tomorrow?")));
        assertThat(history).extracting(PromptMessage::role).containsExactly("user", "assistant", "user");
        assertThat(history.get(2).content()).contains("sunny").contains("rainy").endsWith("\nAnd tomorrow?");
        assertThat(GenericToolFormat.history(List.of(new PromptMessage("user", "a"), new PromptMessage("user", "b"))))
                .as("two user messages without a tool between them stay apart").hasSize(2);
    }

    @Test
    void aReplyIsCutAtTheFirstStopSequenceAndCallsAreNot() {
        GenericToolFormat.Answer reply = GenericToolFormat.read("{\"response\":\"one. two. three.\"}");
        assertThat(reply.cutAt(List.of("three", " two")).content()).isEqualTo("one.");
        assertThat(reply.cutAt(List.of("four"))).isSameAs(reply);
        GenericToolFormat.Answer call = GenericToolFormat.read("{\"tool_call\":{\"name\":\"two\",\"arguments\":{}}}");
        assertThat(call.cutAt(List.of("two"))).isSameAs(call);
    }

    @Test
    void onlyACompleteAnswerIsWhole() {
        assertThat(GenericToolFormat.read("{\"tool_call\":{\"name\":\"a\",\"arguments\":{}}}").whole()).isTrue();
        assertThat(GenericToolFormat.read("{\"tool_call\":{\"name\":\"a\",\"arguments\":{}}").whole()).isFalse();
        assertThat(GenericToolFormat.read("{\"response\":\"hi\"}").whole()).isTrue();
        assertThat(GenericToolFormat.read("{\"response\":\"h").whole()).isFalse();
        assertThat(GenericToolFormat.read("{\"response\":\"smile \\uD83D").content()).isEqualTo("smile ");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            # answer                                                                                  | calls                                     | content
            {"tool_calls":[{"name":"get_weather","arguments":{"city":"Paris"}}]}                     | get_weather {"city":"Paris"}              |
            {"tool_calls":[{"name":"get_weather","arguments":{"city":"Rome"}},{"name":"get_time","arguments":{}}]} | get_weather {"city":"Rome"};get_time {} |
            {"tool_call":{"name":"get_time","arguments":{ }}}                                         | get_time { }                              |
            {"tool_calls":[{"name":"create_user","arguments":{"name":"Bob","age":4                     | create_user {"name":"Bob","age":4          |
            {"tool_calls":[{"name":"create_user","arguments":{"name":"Bob"}}]}                        | create_user {"name":"Bob"}                 |
            {"response":"It is sunny."}                                                               |                                           | It is sunny.
            {"response":{"x":1}}                                                                      |                                           | {"x":1}
            {"response":"It is \\"sun                                                                 |                                           | It is "sun
            {"tool_calls":[{"name":"get_weather","arguments":{"city":"Paris"}},{"name":"get_ti        | get_weather {"city":"Paris"}              |
            {"tool_calls":[{"name":"get_weather","arguments":{"city":"Par                             | get_weather {"city":"Par                  |
            {"tool_calls":[{"name":"get_weather","arguments":{"city":"Paris"}},{"name":"get_time","argu | get_weather {"city":"Paris"};get_time   |
            {"tool_c                                                                                  |                                           |
            """)
    void answersAreReadWholeOrAsFarAsTheyGo(String answer, String calls, String content) {
        GenericToolFormat.Answer read = GenericToolFormat.read(answer);
        List<String> expected = calls == null ? List.of() : List.of(calls.split(";"));
        assertThat(read.calls()).extracting(f -> (f.name() + " " + f.arguments()).trim()).containsExactlyElementsOf(expected);
        assertThat(read.content()).isEqualTo(content == null ? "" : content);
    }

    @Test
    void callsAreHandedOnIdTypeAndNameFirstThenArgumentsAndEndTheChoiceAsToolCalls() {
        RecordingSink sink = new RecordingSink();
        int[] ids = {0};
        boolean calling = GenericToolFormat.emit(GenericToolFormat.read(
                "{\"tool_calls\":[{\"name\":\"a\",\"arguments\":{\"x\":1}},{\"name\":\"b\",\"arguments\":{}}]}"),
                sink, () -> "call_" + ++ids[0]);
        assertThat(calling).isTrue();
        assertThat(sink.deltas).extracting(d -> d.toolCalls().getFirst()).containsExactly(
                ToolCall.Chunk.start(0, "call_1", "a"), ToolCall.Chunk.arguments(0, "{\"x\":1}"),
                ToolCall.Chunk.start(1, "call_2", "b"), ToolCall.Chunk.arguments(1, "{}"));

        RecordingSink reply = new RecordingSink();
        assertThat(GenericToolFormat.emit(GenericToolFormat.read("{\"response\":\"hi\"}"), reply, () -> "x")).isFalse();
        assertThat(reply.deltas).extracting(TokenEvent.Delta::text).containsExactly("hi");
    }
}
