package io.switchboard.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.switchboard.schema.event.Feature;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.Providers;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.TokenLogprob;
import io.switchboard.schema.openai.ToolCall;
import io.switchboard.schema.openai.Usage;
import io.switchboard.schema.wire.Json;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.OpenAiSchemas;

/**
 * The OpenAI surface beyond plain text through the gateway: several choices, logprobs, tool calls and the provider in
 * SSE and JSON answers (checked against the official schemas), what the model's engine cannot do refused before the job
 * is published, aliases. The test plays a worker: its heartbeat announces the engine's capabilities, and it writes the
 * job's token events.
 */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
class OpenAiSurfaceTest {
    static final String ALIAS = "test-model-alias";

    @TestHTTPResource("/v1/chat/completions")
    URI endpoint;
    @TestHTTPResource("/v1/models")
    URI models;
    @Inject
    RedisDataSource redis;
    GatewayHarness harness;

    @BeforeEach
    void announceAWorkerWithEveryFeatureButLogitBias() {
        harness = new GatewayHarness(endpoint, redis);
        harness.announceWorker("surface-worker", ALIAS, Set.of(Feature.N, Feature.LOGPROBS, Feature.JSON_OBJECT,
                Feature.JSON_SCHEMA, Feature.TOOLS));
    }

    static List<JsonNode> chunks(String sse) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : sse.split("\n")) {
            if (line.startsWith("data: {")) {
                out.add(Json.MAPPER.readTree(line.substring("data: ".length())));
            }
        }
        return out;
    }

    static TokenLogprob lp(String token) {
        return new TokenLogprob(token, -0.5, TokenLogprob.utf8(token), List.of(new TokenLogprob.Top(token, -0.5,
                TokenLogprob.utf8(token)), new TokenLogprob.Top("x", -2.0, TokenLogprob.utf8("x"))));
    }

    @Test
    void twoStreamedChoicesCarryTheirIndexesLogprobsAndOwnFinishesEveryChunkOfficial() throws Exception {
        var pending = harness.send("\"stream\":true,\"n\":2,\"logprobs\":true,\"top_logprobs\":2,"
                + "\"stream_options\":{\"include_usage\":true}");
        InferenceJob job = harness.publishedJob(pending.marker());
        assertThat(job.options().n()).isEqualTo(2);
        assertThat(job.options().logprobs()).isTrue();
        assertThat(job.options().topLogprobs()).isEqualTo(2);
        harness.write(job.jobId(), TokenEvent.Delta.of(0, "Once", List.of(lp("Once"))).servedBy(Providers.LOCAL),
                TokenEvent.Delta.of(1, "Twice", List.of(lp("Twice"))), TokenEvent.ChoiceEnd.of(1, "stop"),
                TokenEvent.Delta.of(0, " upon", List.of(lp(" upon"))), TokenEvent.Finish.of("length", Usage.of(5, 3)));

        HttpResponse<String> response = pending.response().get(10, TimeUnit.SECONDS);
        assertThat(response.headers().firstValue("x-switchboard-provider")).contains("local");
        Map<Integer, StringBuilder> text = new TreeMap<>();
        Map<Integer, String> finishes = new TreeMap<>();
        List<JsonNode> chunks = chunks(response.body());
        for (JsonNode chunk : chunks) {
            OpenAiSchemas.assertValid("CreateChatCompletionStreamResponse", chunk.toString());
            assertThat(chunk.get("provider").asText()).isEqualTo("local");
            for (JsonNode c : chunk.get("choices")) {
                int i = c.get("index").asInt();
                text.computeIfAbsent(i, k -> new StringBuilder()).append(c.at("/delta/content").asText(""));
                if (!c.get("finish_reason").isNull()) {
                    assertThat(finishes.put(i, c.get("finish_reason").asText())).as("one finish per choice").isNull();
                }
                if (c.at("/delta/content").asText("").length() > 0) {
                    assertThat(c.at("/logprobs/content/0/top_logprobs")).hasSize(2);
                }
            }
        }
        assertThat(chunks.subList(0, 2)).extracting(c -> c.at("/choices/0/delta/role").asText()).containsOnly("assistant");
        assertThat(text.get(0)).hasToString("Once upon");
        assertThat(text.get(1)).hasToString("Twice");
        assertThat(finishes).isEqualTo(Map.of(0, "length", 1, "stop"));
        assertThat(chunks.getLast().at("/usage/completion_tokens").asInt()).isEqualTo(3);
    }

    @Test
    void aToolCallAnswerHasTheCallAssembledNoContentAndTheToolCallsFinish() throws Exception {
        var pending = harness.send("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                + "\"description\":\"w\",\"parameters\":{\"type\":\"object\"}}}],\"tool_choice\":\"required\"");
        InferenceJob job = harness.publishedJob(pending.marker());
        assertThat(job.options().tools().get(0).at("/function/name").asText()).isEqualTo("get_weather");
        assertThat(job.options().toolChoice().asText()).isEqualTo("required");
        harness.write(job.jobId(), TokenEvent.Delta.toolCalls(0, List.of(ToolCall.Chunk.start(0, "call_abc", "get_weather"))),
                TokenEvent.Delta.toolCalls(0, List.of(ToolCall.Chunk.arguments(0, "{\"city\":"))),
                TokenEvent.Delta.toolCalls(0, List.of(ToolCall.Chunk.arguments(0, "\"Paris\"}"))),
                TokenEvent.Finish.of("tool_calls", Usage.of(20, 6)));

        HttpResponse<String> response = pending.response().get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        OpenAiSchemas.assertValid("CreateChatCompletionResponse", response.body());
        JsonNode message = Json.MAPPER.readTree(response.body()).at("/choices/0/message");
        assertThat(message.get("content").isNull()).isTrue();
        assertThat(message.at("/tool_calls/0/id").asText()).isEqualTo("call_abc");
        assertThat(message.at("/tool_calls/0/type").asText()).isEqualTo("function");
        assertThat(message.at("/tool_calls/0/function/name").asText()).isEqualTo("get_weather");
        assertThat(message.at("/tool_calls/0/function/arguments").asText()).isEqualTo("{\"city\":\"Paris\"}");
        assertThat(Json.MAPPER.readTree(response.body()).at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
    }

    @Test
    void streamedToolCallPiecesPassAsOpenAiStreamsThem() throws Exception {
        var pending = harness.send("\"stream\":true,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]");
        InferenceJob job = harness.publishedJob(pending.marker());
        harness.write(job.jobId(), TokenEvent.Delta.toolCalls(0, List.of(ToolCall.Chunk.start(0, "call_1", "f"))),
                TokenEvent.Delta.toolCalls(0, List.of(ToolCall.Chunk.arguments(0, "{}"))),
                TokenEvent.Finish.of("tool_calls", Usage.of(2, 2)));
        List<JsonNode> chunks = chunks(pending.response().get(10, TimeUnit.SECONDS).body());
        chunks.forEach(c -> OpenAiSchemas.assertValid("CreateChatCompletionStreamResponse", c.toString()));
        assertThat(chunks.get(1).at("/choices/0/delta/tool_calls/0/id").asText()).isEqualTo("call_1");
        assertThat(chunks.get(1).at("/choices/0/delta/tool_calls/0/function/name").asText()).isEqualTo("f");
        assertThat(chunks.get(1).at("/choices/0/delta/content").isMissingNode()).isTrue();
        assertThat(chunks.get(2).at("/choices/0/delta/tool_calls/0/function/arguments").asText()).isEqualTo("{}");
        assertThat(chunks.get(2).at("/choices/0/delta/tool_calls/0").has("id")).isFalse();
    }

    @Test
    void whatNoLiveWorkerOfTheModelOffersIsA400NamingTheParameterAndNothingIsPublished() throws Exception {
        assertRefused("\"logit_bias\":{\"50256\":-100}", "logit_bias");
        assertRefused("\"n\":5", "n");
        // a model only the configuration names (no heartbeat) is plain text
        assertRefused("\"model\":\"org/model-with-slash\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]",
                "tools");
        assertRefused("\"provider\":\"cloud\",\"logprobs\":true", "logprobs");
    }

    void assertRefused(String extra, String param) throws Exception {
        HttpResponse<String> response = harness.send(extra).response().get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        OpenAiSchemas.assertValid("ErrorResponse", response.body());
        assertThat(Json.MAPPER.readTree(response.body()).at("/error/param").asText()).isEqualTo(param);
    }

    @Test
    void anAliasRunsOnItsModel() throws Exception {
        String marker = "alias-" + System.nanoTime();
        HttpResponse<String> listed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(models)
                .header("Authorization", "Bearer sk-test").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(listed.body()).contains("\"id\":\"" + ALIAS + "\"").contains("\"owned_by\":\"switchboard\"");
        var request = HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(endpoint)
                .header("Authorization", "Bearer sk-test").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + ALIAS + "\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"" + marker + "\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
        InferenceJob job = harness.publishedJob(marker);
        assertThat(job.model()).isEqualTo("test-model");
        harness.write(job.jobId(), TokenEvent.Delta.of("hi"), TokenEvent.Finish.of("stop", Usage.of(1, 1)));
        assertThat(Json.MAPPER.readTree(request.get(10, TimeUnit.SECONDS).body()).get("model").asText()).isEqualTo("test-model");
    }

    @Test
    void aChoiceIndexBeyondNIsABadEventNotAnswerContent() throws Exception {
        var pending = harness.send("\"n\":2");
        InferenceJob job = harness.publishedJob(pending.marker());
        harness.write(job.jobId(), TokenEvent.Delta.of(2, "intruder"), TokenEvent.Finish.of("stop", Usage.of(1, 1)));
        HttpResponse<String> response = pending.response().get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(Json.MAPPER.readTree(response.body()).at("/error/code").asText()).isEqualTo("bad_job_event");
    }
}
