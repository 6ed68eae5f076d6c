package io.switchboard.worker.engine.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.event.GenerationOptions;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.schema.openai.ToolCall;
import io.switchboard.schema.wire.Json;
import io.switchboard.worker.Jobs;
import io.switchboard.worker.TestLlamaServer;
import io.switchboard.worker.engine.InferenceEngine.Generation;
import io.switchboard.worker.engine.RecordingSink;
import io.switchboard.worker.engine.ReferenceNames;

/** The openai engine against the real llama-server fixture (llama-server flavour, n by fan-out, tools whole). */
class OpenAiEngineOnLlamaServerTest {
    static TestLlamaServer server;
    static OpenAiEngine engine;

    @BeforeAll
    static void start() throws Exception {
        server = TestLlamaServer.start();
        engine = Upstreams.engine(Upstreams.llamaServer(server.baseUrl()));
    }

    @AfterAll
    static void stop() throws Exception {
        engine.close();
        server.close();
    }

    private static InferenceJob job(int maxTokens, GenerationOptions options) {
        return Jobs.withOptions(Jobs.job("stories", maxTokens, 0.0, List.of(), true), options);
    }

    private static GenerationOptions options(int n, boolean logprobs, Integer top, String responseFormat, String tools,
            String toolChoice) {
        return new GenerationOptions(n, logprobs, top, responseFormat == null ? null : json(responseFormat),
                tools == null ? null : json(tools), toolChoice == null ? null : json(toolChoice), null, null);
    }

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void streamsTextPieceByPieceAndReportsTheUpstreamUsage() {
        RecordingSink sink = new RecordingSink();
        Generation g = engine.generate(job(16, GenerationOptions.DEFAULT), sink, () -> false);

        assertThat(sink.size()).isGreaterThan(1);
        assertThat(sink.text(0)).isNotBlank();
        assertThat(g.completionTokens()).isEqualTo(16);
        assertThat(g.promptTokens()).isGreaterThan(10);
        assertThat(g.finishReason()).isEqualTo("length");
        assertThat(g.cancelled()).isFalse();
        assertThat(engine.capabilities().available()).isTrue();
    }

    @Test
    void aRepeatedPromptReportsItsCachedPromptTokens() {
        engine.generate(job(4, GenerationOptions.DEFAULT), new RecordingSink(), () -> false);
        Generation again = engine.generate(job(4, GenerationOptions.DEFAULT), new RecordingSink(), () -> false);
        assertThat(again.cachedTokens()).isNotNull().isPositive().isLessThanOrEqualTo(again.promptTokens());
    }

    @Test
    void twoChoicesComeBackUnderTheirOwnIndexesWithTheirUsageSummed() {
        RecordingSink sink = new RecordingSink();
        InferenceJob j = Jobs.withOptions(Jobs.job("stories", 12, 0.9, List.of(), true),
                options(2, false, null, null, null, null));
        Generation g = engine.generate(j, sink, () -> false);

        assertThat(sink.text(0)).isNotEmpty();
        assertThat(sink.text(1)).isNotEmpty();
        assertThat(sink.ends).containsOnlyKeys(0, 1).containsValues("length");
        assertThat(g.completionTokens()).isEqualTo(24);
    }

    @Test
    void logprobsCarryEachTokenWithItsTopAlternatives() {
        RecordingSink sink = new RecordingSink();
        engine.generate(job(8, options(1, true, 3, null, null, null)), sink, () -> false);

        assertThat(sink.logprobs()).hasSize(8).allSatisfy(t -> {
            assertThat(t.logprob()).isLessThanOrEqualTo(0.0);
            assertThat(t.topLogprobs()).hasSize(3);
        });
        assertThat(sink.logprobs().stream().map(t -> t.token()).reduce("", String::concat)).isEqualTo(sink.text(0));
    }

    @Test
    void jsonObjectAnswersParseAsAnObject() throws Exception {
        // the tiny model rarely closes a free JSON object; greedy with strong penalties, this prompt closes it in 800
        InferenceJob question = new InferenceJob(InferenceJob.VERSION, "chatcmpl-json", "req", "tenant", "stories", 0,
                List.of(new PromptMessage("user", "What is your name?")),
                new SamplingParams(0.0, 1.0, null, null, 1000, List.of(), 9L, 1.5, 1.5, false), System.currentTimeMillis(),
                System.currentTimeMillis() + 60_000, null, null, 1.0,
                options(1, false, null, "{\"type\":\"json_object\"}", null, null));
        RecordingSink sink = new RecordingSink();
        Generation g = engine.generate(question, sink, () -> false);

        assertThat(g.finishReason()).isEqualTo("stop");
        assertThat(Json.MAPPER.readTree(sink.text(0)).isObject()).isTrue();
    }

    @Test
    void jsonSchemaAnswersFollowTheSchema() throws Exception {
        String format = """
                {"type":"json_schema","json_schema":{"name":"age","schema":{"type":"object",
                 "properties":{"age":{"type":"integer"}},"required":["age"],"additionalProperties":false}}}""";
        RecordingSink sink = new RecordingSink();
        Generation g = engine.generate(job(300, options(1, false, null, format, null, null)), sink, () -> false);

        assertThat(g.finishReason()).isEqualTo("stop");
        JsonNode answer = Json.MAPPER.readTree(sink.text(0));
        assertThat(answer.path("age").isIntegralNumber()).as(sink.text(0)).isTrue();
        assertThat(answer.size()).isEqualTo(1);
    }

    @Test
    void everyReferenceKeepsItsOwnTargetsConstraint() throws Exception {
        RecordingSink sink = new RecordingSink();
        engine.generate(job(300, options(1, false, null, ReferenceNames.FORMAT, null, null)), sink, () -> false);
        ReferenceNames.assertFollowed(sink.text(0));
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {
            "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"f\",\"schema\":{\"type\":\"string\",\"pattern\":\"^(?:a)$\"}}}",
            "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"f\",\"schema\":{\"type\":\"string\",\"pattern\":\"^*$\"}}}"})
    void aSchemaThatWouldEndTheLlamaServerProcessIsRefusedAndItServesOn(String format) throws Exception {
        // sent as it is, either pattern ends llama-server c392e50 (and every answer it was running)
        assertThatThrownBy(() -> engine.generate(job(8, options(1, false, null, format, null, null)), new RecordingSink(),
                () -> false))
                .isInstanceOfSatisfying(io.switchboard.worker.engine.EngineException.class, e -> assertThat(e.code())
                        .isEqualTo(io.switchboard.schema.event.FailureCode.ENGINE_REJECTED_REQUEST));
        String tools = """
                [{"type":"function","function":{"name":"f","parameters":{"type":"object",
                  "properties":{"x":{"type":"string","pattern":"^*$"}}}}}]""";
        assertThatThrownBy(() -> engine.generate(job(8, options(1, false, null, null, tools, "\"required\"")),
                new RecordingSink(), () -> false))
                .isInstanceOfSatisfying(io.switchboard.worker.engine.EngineException.class, e -> assertThat(e.code())
                        .isEqualTo(io.switchboard.schema.event.FailureCode.ENGINE_REJECTED_REQUEST));

        RecordingSink next = new RecordingSink();
        engine.generate(job(4, options(1, false, null, null, null, null)), next, () -> false);
        assertThat(next.text(0)).isNotEmpty();
        assertThat(engine.upstreamUp()).isTrue();
    }

    @Test
    void aRequiredToolChoiceGivesToolCallPiecesWithAnIdAndAToolCallsFinish() throws Exception {
        String tools = """
                [{"type":"function","function":{"name":"get_weather","description":"Weather of a city",
                  "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]""";
        RecordingSink sink = new RecordingSink();
        Generation g = engine.generate(job(400, options(1, false, null, null, tools, "\"required\"")), sink, () -> false);

        assertThat(g.finishReason()).isEqualTo("tool_calls");
        List<ToolCall.Chunk> pieces = sink.toolCalls();
        ToolCall.Chunk start = pieces.getFirst();
        assertThat(start.id()).startsWith("call_").hasSize(29);
        assertThat(start.type()).isEqualTo("function");
        assertThat(start.function().name()).isEqualTo("get_weather");
        assertThat(start.function().arguments()).isEmpty();
        assertThat(pieces.subList(1, pieces.size())).allSatisfy(p -> assertThat(p.id()).isNull());
        String arguments = pieces.stream().map(p -> p.function().arguments()).reduce("", String::concat);
        assertThat(Json.MAPPER.readTree(arguments).path("city").isTextual()).as(arguments).isTrue();
    }

    @Test
    void cancellingClosesTheStreamAndTheUpstreamStopsGenerating() throws Exception {
        RecordingSink sink = new RecordingSink();
        AtomicBoolean cancel = new AtomicBoolean();
        long t0 = System.nanoTime();
        Generation g = engine.generate(job(1500, GenerationOptions.DEFAULT), new io.switchboard.worker.engine.InferenceEngine.EventSink() {
            @Override
            public void delta(io.switchboard.schema.event.TokenEvent.Delta d) {
                sink.delta(d);
                if (sink.size() >= 5) {
                    cancel.set(true);
                }
            }

            @Override
            public void choiceEnd(int index, String reason) {
            }
        }, cancel::get);

        assertThat(g.cancelled()).isTrue();
        // the reading thread sees the cancel at the next line, the job's thread at once after
        assertThat(g.completionTokens()).isBetween(5, 500);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
        // 1500 tokens take this server several seconds: idle within one means it stopped the sequence
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(50))
                .until(() -> server.metric("llamacpp:requests_processing") == 0.0);
    }

    @Test
    void theUpstreamsLoadAndTheEnginesAvailabilityAreMetered() {
        var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        var metrics = new UpstreamMetrics(registry, "openai");
        try (OpenAiEngine metered = new OpenAiEngine("openai", "stories", Upstreams.llamaServer(server.baseUrl()), metrics,
                ToolCallIds.random(), io.switchboard.worker.TestVertx.shared())) {
            metrics.availability(() -> metered.capabilities().available());
            metered.generate(job(4, GenerationOptions.DEFAULT), new RecordingSink(), () -> false);

            assertThat(registry.get("switchboard.engine.available").gauge().value()).isEqualTo(1.0);
            assertThat(registry.get("switchboard.engine.upstream.requests").tag("outcome", "ok").counter().count())
                    .isEqualTo(1.0);
            await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
                assertThat(registry.get("switchboard.engine.upstream.running").gauge().value()).isZero();
                assertThat(registry.get("switchboard.engine.upstream.waiting").gauge().value()).isZero();
                assertThat(registry.get("switchboard.engine.upstream.kv_cache_usage").gauge().value()).isBetween(0.0, 1.0);
            });
        }
    }
}
