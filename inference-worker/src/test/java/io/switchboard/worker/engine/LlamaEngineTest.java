package io.switchboard.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.worker.engine.InferenceEngine.EventSink;
import io.switchboard.worker.Jobs;

/** llama.cpp through the Java binding on the real test model (stories260K). */
class LlamaEngineTest {
    static LlamaEngine engine;

    @BeforeAll
    static void load() throws Exception {
        Path model = Path.of(System.getProperty("switchboard.test.model"));
        Path nativeDir = Files.createDirectories(Path.of("target", "native-test").toAbsolutePath());
        System.setProperty("de.kherud.llama.tmpdir", nativeDir.toString());
        engine = new LlamaEngine(model, "stories", 2, 1024, 1, 0, false);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void greedyGenerationIsDeterministicAndCountsEveryToken() {
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        var ga = engine.generate(Jobs.job("stories", 16, 0.0, List.of(), true), EventSink.texts(a::add), () -> false);
        var gb = engine.generate(Jobs.job("stories", 16, 0.0, List.of(), true), EventSink.texts(b::add), () -> false);

        assertThat(String.join("", a)).isNotEmpty().isEqualTo(String.join("", b));
        assertThat(ga.completionTokens()).isEqualTo(16);
        assertThat(ga.finishReason()).isEqualTo("length");
        assertThat(ga.promptTokens()).isEqualTo(gb.promptTokens()).isGreaterThan(10);
    }

    @Test
    void promptTokensAreCountedByTheModelTokenizerOverTheChatTemplate() {
        InferenceJob shortJob = Jobs.job("stories", 1, 0.0, List.of(), true);
        InferenceJob longJob = new InferenceJob(1, "j", "r", "t", "stories", 0,
                List.of(new PromptMessage("user", "Tell me a story. ".repeat(10))), shortJob.sampling(), 0, Long.MAX_VALUE);
        int shortPrompt = engine.generate(shortJob, EventSink.texts(d -> {
        }), () -> false).promptTokens();
        int longPrompt = engine.generate(longJob, EventSink.texts(d -> {
        }), () -> false).promptTokens();
        assertThat(longPrompt).isGreaterThan(shortPrompt + 30);
    }

    @Test
    void templateUsesEveryRoleInOrder() {
        String request = LlamaEngine.templateRequest(GenericToolFormat.history(List.of(new PromptMessage("developer", "rules"),
                new PromptMessage("user", "hi"), new PromptMessage("assistant", "hello"))));
        assertThat(request).contains("\"role\":\"system\"").contains("\"content\":\"rules\"");
        assertThat(request.indexOf("rules")).isLessThan(request.indexOf("hi"));
    }

    @Test
    void stopSequenceEndsGenerationWithStop() {
        StringBuilder text = new StringBuilder();
        var g = engine.generate(Jobs.job("stories", 200, 0.0, List.of("."), true), EventSink.texts(text::append), () -> false);
        assertThat(text.toString()).doesNotContain(".");
        assertThat(g.finishReason()).isEqualTo("stop");
        assertThat(g.completionTokens()).isLessThan(200);
    }

    @Test
    void cancelStopsTheSequence() {
        AtomicInteger deltas = new AtomicInteger();
        var g = engine.generate(Jobs.job("stories", 400, 0.8, List.of(), true), EventSink.texts(d -> deltas.incrementAndGet()),
                () -> deltas.get() >= 5);
        assertThat(g.cancelled()).isTrue();
        // a cancelled sequence still reports what it generated (the client's finish and the usage record carry it)
        assertThat(g.completionTokens()).isBetween(5, 49);
        assertThat(g.promptTokens()).isPositive();
    }

    @Test
    void promptLongerThanTheContextFailsAsContextLengthExceeded() {
        InferenceJob job = new InferenceJob(1, "j", "r", "t", "stories", 0,
                List.of(new PromptMessage("user", "word ".repeat(4000))),
                new SamplingParams(0, 1, null, null, 10, List.of(), null, 0, 0, false), 0, Long.MAX_VALUE);
        assertThatThrownBy(() -> engine.generate(job, EventSink.texts(d -> {
        }), () -> false)).isInstanceOfSatisfying(EngineException.class,
                e -> assertThat(e.code()).isEqualTo(FailureCode.CONTEXT_LENGTH_EXCEEDED));
    }

    @Test
    void twoSequencesRunAtOnceInTheTwoSlots() throws Exception {
        var first = CompletableFuture.supplyAsync(() -> engine.generate(Jobs.job("stories", 64, 0.7, List.of(), true), EventSink.texts(d -> {
        }), () -> false));
        var second = CompletableFuture.supplyAsync(() -> engine.generate(Jobs.job("stories", 64, 0.7, List.of(), true), EventSink.texts(d -> {
        }), () -> false));
        assertThat(first.get().completionTokens()).isEqualTo(64);
        assertThat(second.get().completionTokens()).isEqualTo(64);
    }

    @Test
    void jsonSchemaAnswerIsConstrainedByAGrammarSoItParses() throws Exception {
        StringBuilder text = new StringBuilder();
        var format = io.switchboard.schema.wire.Json.MAPPER.readTree("""
                {"type":"json_schema","json_schema":{"name":"f","strict":true,"schema":{"type":"object",
                 "properties":{"sky":{"type":"string","enum":["sunny","rainy"]},"windy":{"type":"boolean"}},
                 "required":["sky","windy"],"additionalProperties":false}}}""");
        var g = engine.generate(Jobs.withOptions(Jobs.job("stories", 64, 0.8, List.of(), false),
                new io.switchboard.schema.event.GenerationOptions(1, false, null, format, null, null, null, null)),
                EventSink.texts(text::append), () -> false);
        var answer = io.switchboard.schema.wire.Json.MAPPER.readTree(text.toString());
        assertThat(answer.get("sky").asText()).isIn("sunny", "rainy");
        assertThat(answer.get("windy").isBoolean()).isTrue();
        assertThat(g.finishReason()).isEqualTo("stop");
    }

    @Test
    void everyReferenceKeepsItsOwnTargetsConstraint() throws Exception {
        StringBuilder text = new StringBuilder();
        var format = io.switchboard.schema.wire.Json.MAPPER.readTree(ReferenceNames.FORMAT);
        engine.generate(Jobs.withOptions(Jobs.job("stories", 160, 0.8, List.of(), false),
                new io.switchboard.schema.event.GenerationOptions(1, false, null, format, null, null, null, null)),
                EventSink.texts(text::append), () -> false);
        ReferenceNames.assertFollowed(text.toString());
    }

    @Test
    void structuredChoiceAnswersWithOneOfTheChoices() throws Exception {
        StringBuilder text = new StringBuilder();
        var choice = io.switchboard.schema.wire.Json.MAPPER.readTree("{\"choice\":[\"yes\",\"no\"]}");
        engine.generate(Jobs.withOptions(Jobs.job("stories", 8, 0.8, List.of(), false),
                new io.switchboard.schema.event.GenerationOptions(1, false, null, null, null, null, null,
                        java.util.Map.of("structured_outputs", choice))),
                EventSink.texts(text::append), () -> false);
        assertThat(text.toString()).isIn("yes", "no");
    }

    @Test
    void requiredToolChoiceGivesACallOfTheToolWhoseArgumentsFollowItsSchema() throws Exception {
        RecordingSink sink = new RecordingSink();
        List<TokenEvent.Delta> deltas = sink.deltas;
        var tools = io.switchboard.schema.wire.Json.MAPPER.readTree("""
                [{"type":"function","function":{"name":"get_weather","description":"The weather of a city",
                  "parameters":{"type":"object","properties":{"city":{"type":"string","enum":["Paris","Rome"]}},
                  "required":["city"],"additionalProperties":false}}},
                 {"type":"function","function":{"name":"get_time","parameters":{"type":"object",
                  "properties":{"zone":{"type":"string","enum":["UTC","CET"]}},"required":["zone"],"additionalProperties":false}}}]""");
        // greedy, with room: the tiny model needs a few hundred tokens to close the call's JSON
        var g = engine.generate(Jobs.withOptions(Jobs.job("stories", 400, 0.0, List.of(), false),
                new io.switchboard.schema.event.GenerationOptions(1, false, null, null, tools,
                        io.switchboard.schema.wire.Json.MAPPER.getNodeFactory().textNode("required"), false, null)),
                sink, () -> false);
        assertThat(g.finishReason()).isEqualTo("tool_calls");
        assertThat(sink.progressed()).as("progress reported token by token").isEqualTo(g.completionTokens());
        assertThat(deltas).allSatisfy(d -> assertThat(d.text()).isEmpty());
        var first = deltas.getFirst().toolCalls().getFirst();
        assertThat(first.id()).startsWith("call_");
        assertThat(first.function().name()).isIn("get_weather", "get_time");
        String arguments = deltas.stream().skip(1).map(d -> d.toolCalls().getFirst().function().arguments())
                .reduce("", String::concat);
        var parsed = io.switchboard.schema.wire.Json.MAPPER.readTree(arguments);
        if (first.function().name().equals("get_weather")) {
            assertThat(parsed.get("city").asText()).isIn("Paris", "Rome");
        } else {
            assertThat(parsed.get("zone").asText()).isIn("UTC", "CET");
        }
    }

    @Test
    void toolChoiceNoneAnswersInTextAndAnEarlierCallAndItsResultAreInThePrompt() {
        var tools = io.switchboard.schema.wire.Json.MAPPER.createArrayNode();
        tools.addObject().put("type", "function").putObject("function").put("name", "get_weather");
        List<PromptMessage> conversation = List.of(new PromptMessage("user", "Weather?"),
                new PromptMessage("assistant", null, null,
                        List.of(io.switchboard.schema.openai.ToolCall.function("call_1", "get_weather", "{\"city\":\"Paris\"}")), null),
                new PromptMessage("tool", "sunny", null, null, "call_1"));
        InferenceJob base = Jobs.job("stories", 8, 0.0, List.of(), true);
        InferenceJob job = Jobs.withOptions(new InferenceJob(1, "j", "r", "t", "stories", 0, conversation, base.sampling(), 0,
                Long.MAX_VALUE), new io.switchboard.schema.event.GenerationOptions(1, false, null, null, tools,
                        io.switchboard.schema.wire.Json.MAPPER.getNodeFactory().textNode("none"), null, null));
        StringBuilder text = new StringBuilder();
        var g = engine.generate(job, EventSink.texts(text::append), () -> false);

        assertThat(text).isNotEmpty();
        assertThat(g.finishReason()).isEqualTo("length");
        assertThat(LlamaEngine.templateRequest(GenericToolFormat.history(conversation))).contains("get_weather")
                .contains("call_1").contains("sunny");
        assertThat(g.promptTokens()).isGreaterThan(engine.generate(Jobs.job("stories", 1, 0.0, List.of(), true),
                EventSink.texts(t -> {
                }), () -> false).promptTokens() + 10);
    }

    @Test
    void aLogitBiasOfPlus100MakesThatTokenTheAnswerAndMinus100KeepsItOut() throws Exception {
        InferenceJob plain = Jobs.job("stories", 4, 0.0, List.of(), true);
        StringBuilder unbiased = new StringBuilder();
        engine.generate(plain, EventSink.texts(unbiased::append), () -> false);
        // token 300 of the model's 512: every step picks it
        StringBuilder forced = new StringBuilder();
        engine.generate(Jobs.withOptions(plain, new io.switchboard.schema.event.GenerationOptions(1, false, null, null, null,
                null, null, java.util.Map.of("logit_bias", io.switchboard.schema.wire.Json.MAPPER.readTree("{\"300\": 100}")))),
                EventSink.texts(forced::append), () -> false);
        String one = forced.substring(0, forced.length() / 4);
        assertThat(forced.toString()).isNotEqualTo(unbiased.toString()).isEqualTo(one.repeat(4));
        // every other token of the vocabulary banned: sampling at temperature 0.9 can only pick token 300
        var others = io.switchboard.schema.wire.Json.MAPPER.createObjectNode();
        for (int id = 0; id < 512; id++) {
            if (id != 300) {
                others.put(String.valueOf(id), -100);
            }
        }
        StringBuilder banned = new StringBuilder();
        engine.generate(Jobs.withOptions(Jobs.job("stories", 8, 0.9, List.of(), true),
                new io.switchboard.schema.event.GenerationOptions(1, false, null, null, null, null, null,
                        java.util.Map.of("logit_bias", others))),
                EventSink.texts(banned::append), () -> false);
        assertThat(banned.toString()).isEqualTo(one.repeat(8));
    }


    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.api.Timeout(30) // a request llama.cpp cannot serve ends; it never hangs the slot
    @org.junit.jupiter.params.provider.ValueSource(strings = {
            "{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\",\"pattern\":\"[A-Z]+\"}}}",
            "{\"type\":\"object\",\"properties\":{\"x\":{\"description\":\"no type\"}}}",
            "{\"type\":\"object\",\"properties\":{\"x\":{\"$ref\":\"#/$defs/Missing\"}}}",
            "{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":\"two\"}"})
    void aSchemaLlamaCppCannotConvertIsThatRequestsErrorAndTheEngineServesOn(String schema) throws Exception {
        var format = io.switchboard.schema.wire.Json.MAPPER.createObjectNode().put("type", "json_schema");
        format.putObject("json_schema").put("name", "f").set("schema", io.switchboard.schema.wire.Json.MAPPER.readTree(schema));
        assertThatThrownBy(() -> engine.generate(Jobs.withOptions(Jobs.job("stories", 8, 0.0, List.of(), false),
                new io.switchboard.schema.event.GenerationOptions(1, false, null, format, null, null, null, null)),
                new RecordingSink(), () -> false))
                .isInstanceOfSatisfying(EngineException.class,
                        e -> assertThat(e.code()).isEqualTo(FailureCode.ENGINE_REJECTED_REQUEST))
                .hasMessageContaining("json_schema");
        // the process is alive and the engine serves the next request
        StringBuilder text = new StringBuilder();
        engine.generate(Jobs.job("stories", 4, 0.0, List.of(), true), EventSink.texts(text::append), () -> false);
        assertThat(text).isNotEmpty();
    }

    @org.junit.jupiter.api.Test
    @org.junit.jupiter.api.Timeout(30)
    void aGrammarLlamaCppCannotParseIsThatRequestsErrorAndTheEngineServesOn() throws Exception {
        var structured = io.switchboard.schema.wire.Json.MAPPER.readTree("{\"grammar\":\"root ::= [\"}");
        assertThatThrownBy(() -> engine.generate(Jobs.withOptions(Jobs.job("stories", 8, 0.0, List.of(), false),
                new io.switchboard.schema.event.GenerationOptions(1, false, null, null, null, null, null,
                        java.util.Map.of("structured_outputs", structured))),
                new RecordingSink(), () -> false))
                .isInstanceOfSatisfying(EngineException.class,
                        e -> assertThat(e.code()).isEqualTo(FailureCode.ENGINE_REJECTED_REQUEST));
        StringBuilder text = new StringBuilder();
        engine.generate(Jobs.job("stories", 4, 0.0, List.of(), true), EventSink.texts(text::append), () -> false);
        assertThat(text).isNotEmpty();
    }

    @org.junit.jupiter.api.Test
    @org.junit.jupiter.api.Timeout(30)
    void aPatternConstrainsTheAnswer() throws Exception {
        StringBuilder text = new StringBuilder();
        var format = io.switchboard.schema.wire.Json.MAPPER.readTree("""
                {"type":"json_schema","json_schema":{"name":"f","schema":{"type":"object",
                 "properties":{"code":{"type":"string","pattern":"^[0-9]{3}-[a-z]$"}},"required":["code"]}}}""");
        engine.generate(Jobs.withOptions(Jobs.job("stories", 200, 0.0, List.of(), false),
                new io.switchboard.schema.event.GenerationOptions(1, false, null, format, null, null, null, null)),
                EventSink.texts(text::append), () -> false);
        assertThat(io.switchboard.schema.wire.Json.MAPPER.readTree(text.toString()).get("code").asText())
                .matches("[0-9]{3}-[a-z]");
    }
}
