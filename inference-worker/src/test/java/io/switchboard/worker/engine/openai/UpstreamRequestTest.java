package io.switchboard.worker.engine.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.switchboard.schema.event.GenerationOptions;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.schema.openai.ToolCall;
import io.switchboard.schema.wire.Json;

/** What a job becomes upstream, flavor by flavor. */
class UpstreamRequestTest {
    static final URI BASE = URI.create("http://127.0.0.1:1/v1");
    static final JsonNode SCHEMA_FORMAT = json("""
            {"type":"json_schema","json_schema":{"name":"p","schema":{"type":"object","required":["a"]}}}""");

    static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static InferenceJob job(SamplingParams sampling, GenerationOptions options, List<PromptMessage> messages) {
        return new InferenceJob(InferenceJob.VERSION, "j", "r", "t", "client-name", 0, messages, sampling, 0, Long.MAX_VALUE,
                null, null, 1, options);
    }

    static final SamplingParams SAMPLING = new SamplingParams(0.7, 0.9, 40, 0.05, 64, List.of("END"), 7L, 0.5, 0.25, true);

    static ObjectNode body(Flavor flavor, GenerationOptions options) {
        return UpstreamRequest.body(job(SAMPLING, options, List.of(new PromptMessage("user", "hi"))),
                OpenAiSettings.of(BASE, "upstream-name", flavor), true);
    }

    @Test
    void theUpstreamModelIsSentAndStreamingAsksForUsage() {
        ObjectNode body = body(Flavor.VLLM, GenerationOptions.DEFAULT);
        assertThat(body.path("model").asText()).isEqualTo("upstream-name");
        assertThat(body.path("stream").asBoolean()).isTrue();
        assertThat(body.path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(body.has("n")).isFalse();
    }

    @Test
    void llamaServerAndVllmGetEverySamplingParameterWithMaxTokens() {
        ObjectNode body = body(Flavor.LLAMA_SERVER, GenerationOptions.DEFAULT);
        assertThat(body.path("max_tokens").asInt()).isEqualTo(64);
        assertThat(body.has("max_completion_tokens")).isFalse();
        assertThat(body.path("temperature").asDouble()).isEqualTo(0.7);
        assertThat(body.path("top_p").asDouble()).isEqualTo(0.9);
        assertThat(body.path("top_k").asInt()).isEqualTo(40);
        assertThat(body.path("min_p").asDouble()).isEqualTo(0.05);
        assertThat(body.path("seed").asLong()).isEqualTo(7);
        assertThat(body.path("stop").get(0).asText()).isEqualTo("END");
        assertThat(body.path("presence_penalty").asDouble()).isEqualTo(0.5);
        assertThat(body.path("frequency_penalty").asDouble()).isEqualTo(0.25);
        assertThat(body.path("ignore_eos").asBoolean()).isTrue();
    }

    @Test
    void openAiGetsOnlyItsOwnParameters() {
        ObjectNode body = body(Flavor.OPENAI, GenerationOptions.DEFAULT);
        assertThat(body.path("max_completion_tokens").asInt()).isEqualTo(64);
        assertThat(body.has("max_tokens")).isFalse();
        assertThat(body.has("top_k")).isFalse();
        assertThat(body.has("min_p")).isFalse();
        assertThat(body.has("ignore_eos")).isFalse();
    }

    @Test
    void aJsonSchemaGoesInOpenAisFormExceptToLlamaServerWhichTakesATopLevelSchema() {
        var options = new GenerationOptions(1, false, null, SCHEMA_FORMAT, null, null, null, null);
        assertThat(body(Flavor.VLLM, options).path("response_format")).isEqualTo(SCHEMA_FORMAT);
        ObjectNode llama = body(Flavor.LLAMA_SERVER, options);
        assertThat(llama.has("response_format")).isFalse();
        assertThat(llama.path("json_schema")).isEqualTo(SCHEMA_FORMAT.path("json_schema").path("schema"));
    }

    @Test
    void llamaServerIsNotAskedToIgnoreTheEndOfAConstrainedAnswer() {
        var options = new GenerationOptions(1, false, null, json("{\"type\":\"json_object\"}"), null, null, null, null);
        assertThat(body(Flavor.LLAMA_SERVER, options).has("ignore_eos")).isFalse();
        assertThat(body(Flavor.LLAMA_SERVER, options).path("response_format").path("type").asText())
                .isEqualTo("json_object");
    }

    @Test
    void logprobsToolsAndExtensionsPassThrough() {
        JsonNode tools = json("[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":\"d\"}}]");
        var options = new GenerationOptions(3, true, 2, null, tools, json("\"required\""), false,
                Map.of("min_tokens", json("4")));
        ObjectNode body = body(Flavor.VLLM, options);
        assertThat(body.path("n").asInt()).isEqualTo(3);
        assertThat(body.path("logprobs").asBoolean()).isTrue();
        assertThat(body.path("top_logprobs").asInt()).isEqualTo(2);
        assertThat(body.path("tools")).isEqualTo(tools);
        assertThat(body.path("tool_choice").asText()).isEqualTo("required");
        assertThat(body.path("parallel_tool_calls").asBoolean()).isFalse();
        assertThat(body.path("min_tokens").asInt()).isEqualTo(4);
    }

    @Test
    void toolCallsAndToolAnswersKeepTheirIdsAndNames() {
        var messages = List.of(new PromptMessage("user", "weather?", "ann", null, null),
                new PromptMessage("assistant", "", null, List.of(ToolCall.function("call_1", "w", "{\"c\":\"x\"}")), null),
                new PromptMessage("tool", "sunny", null, null, "call_1"));
        ObjectNode body = UpstreamRequest.body(job(SAMPLING, GenerationOptions.DEFAULT, messages),
                OpenAiSettings.of(BASE, "m", Flavor.VLLM), false);
        JsonNode m = body.path("messages");
        assertThat(m.get(0).path("name").asText()).isEqualTo("ann");
        assertThat(m.get(1).path("content").isNull()).isTrue();
        assertThat(m.get(1).path("tool_calls").get(0).path("id").asText()).isEqualTo("call_1");
        assertThat(m.get(1).path("tool_calls").get(0).path("function").path("arguments").asText()).isEqualTo("{\"c\":\"x\"}");
        assertThat(m.get(2).path("tool_call_id").asText()).isEqualTo("call_1");
        assertThat(m.get(2).path("role").asText()).isEqualTo("tool");
        assertThat(body.path("stream").asBoolean()).isFalse();
        assertThat(body.has("stream_options")).isFalse();
    }
}
