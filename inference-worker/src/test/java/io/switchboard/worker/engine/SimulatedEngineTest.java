package io.switchboard.worker.engine;

import io.switchboard.worker.engine.InferenceEngine.EventSink;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.event.GenerationOptions;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.openai.ToolCall;
import io.switchboard.schema.wire.Json;
import io.switchboard.worker.Jobs;

class SimulatedEngineTest {
    final SimulatedEngine engine = new SimulatedEngine("sim", Duration.ZERO, 100_000);

    @org.junit.jupiter.api.AfterEach
    void close() {
        engine.close();
    }

    @Test
    void producesTheSameTextEveryTimeUpToMaxTokens() {
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        var g = engine.generate(Jobs.job("sim", 5, 1.0, List.of(), false), EventSink.texts(first::add), () -> false);
        engine.generate(Jobs.job("sim", 5, 1.0, List.of(), false), EventSink.texts(second::add), () -> false);

        assertThat(first).containsExactly("Once", " upon", " a", " time", " there").isEqualTo(second);
        assertThat(g.finishReason()).isEqualTo("length");
        assertThat(g.completionTokens()).isEqualTo(5);
        assertThat(g.promptTokens()).isPositive();
    }

    @Test
    void stopSequenceEndsTheTextBeforeIt() {
        StringBuilder text = new StringBuilder();
        var g = engine.generate(Jobs.job("sim", 50, 1.0, List.of(" time"), false), EventSink.texts(text::append), () -> false);
        assertThat(text.toString()).isEqualTo("Once upon a");
        assertThat(g.finishReason()).isEqualTo("stop");
    }

    @Test
    void cancellationStopsGenerationEarly() {
        AtomicInteger deltas = new AtomicInteger();
        var g = engine.generate(Jobs.job("sim", 1000, 1.0, List.of(), false), EventSink.texts(d -> deltas.incrementAndGet()),
                () -> deltas.get() >= 3);
        assertThat(g.cancelled()).isTrue();
        assertThat(g.completionTokens()).isEqualTo(3);
    }

    @Test
    void pacesTokensAtTheConfiguredRate() {
        long t0 = System.nanoTime();
        try (SimulatedEngine slow = new SimulatedEngine("sim", Duration.ofMillis(50), 100)) {
            slow.generate(Jobs.job("sim", 6, 1.0, List.of(), false), EventSink.texts(d -> {
            }), () -> false);
        }
        // 50 ms to the first token, then 5 more at 10 ms each: at least 100 ms in all
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(100));
    }

    static InferenceJob with(InferenceJob job, GenerationOptions options) {
        return Jobs.withOptions(job, options);
    }

    static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    @Test
    void twoChoicesStreamUnderTheirOwnIndexesAndEndApart() {
        RecordingSink r = new RecordingSink();
        var g = engine.generate(with(Jobs.job("sim", 4, 1.0, List.of(), false),
                new GenerationOptions(2, false, null, null, null, null, null, null)), r, () -> false);
        assertThat(r.text(0)).isEqualTo("Once upon a time");
        assertThat(r.text(1)).isEqualTo("Once upon a time");
        assertThat(r.ends).containsEntry(0, "length").containsEntry(1, "length");
        assertThat(g.completionTokens()).isEqualTo(8);
    }

    @Test
    void logprobsCarryEveryTokenWithItsTopAlternatives() {
        RecordingSink r = new RecordingSink();
        engine.generate(with(Jobs.job("sim", 3, 1.0, List.of(), false),
                new GenerationOptions(1, true, 2, null, null, null, null, null)), r, () -> false);
        assertThat(r.deltas).hasSize(3).allSatisfy(d -> {
            assertThat(d.logprobs()).hasSize(1);
            assertThat(d.logprobs().getFirst().token()).isEqualTo(d.text());
            assertThat(d.logprobs().getFirst().topLogprobs()).hasSize(2);
            assertThat(d.logprobs().getFirst().logprob()).isNegative();
        });
    }

    @Test
    void jsonSchemaAnswerParsesAndHasEveryRequiredProperty() {
        RecordingSink r = new RecordingSink();
        JsonNode format = json("""
                {"type":"json_schema","json_schema":{"name":"city","strict":true,"schema":{"type":"object",
                 "properties":{"city":{"type":"string"},"population":{"type":"integer","minimum":1},
                 "capital":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string"}}},
                 "required":["city","population","capital","tags"],"additionalProperties":false}}}""");
        var g = engine.generate(with(Jobs.job("sim", 200, 1.0, List.of(), false),
                new GenerationOptions(1, false, null, format, null, null, null, null)), r, () -> false);
        JsonNode answer = json(r.text(0));
        assertThat(answer.path("city").isTextual()).isTrue();
        assertThat(answer.path("population").asInt()).isEqualTo(1);
        assertThat(answer.path("capital").asBoolean()).isTrue();
        assertThat(answer.path("tags").isArray()).isTrue();
        assertThat(g.finishReason()).isEqualTo("stop");
    }

    @Test
    void requiredToolChoiceStreamsOneCallIdAndNameFirstThenArgumentFragments() {
        RecordingSink r = new RecordingSink();
        JsonNode tools = json("""
                [{"type":"function","function":{"name":"get_weather","description":"Weather",
                  "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]""");
        var g = engine.generate(with(Jobs.job("sim", 100, 1.0, List.of(), false),
                new GenerationOptions(1, false, null, null, tools, json("\"required\""), null, null)), r, () -> false);
        assertThat(g.finishReason()).isEqualTo("tool_calls");
        ToolCall.Chunk first = r.deltas.getFirst().toolCalls().getFirst();
        assertThat(first.id()).startsWith("call_");
        assertThat(first.function().name()).isEqualTo("get_weather");
        assertThat(first.type()).isEqualTo("function");
        String arguments = r.deltas.stream().skip(1).map(d -> d.toolCalls().getFirst())
                .peek(c -> assertThat(c.id()).isNull())
                .map(c -> c.function().arguments()).reduce("", String::concat);
        assertThat(json(arguments).path("city").isTextual()).isTrue();
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "max_tokens {0}: {1} pieces, {2}")
    @org.junit.jupiter.params.provider.CsvSource({
            "0, 1, length", // a call's opening piece is always written
            "1, 1, length",
            "3, 3, length",
            "100, 5, tool_calls", // {"city":"x"} is 12 characters: 3 fragments of 4 after the opening
    })
    void maxTokensCutsAToolCallAfterItsOpeningPiece(int maxTokens, int pieces, String finish) {
        RecordingSink r = new RecordingSink();
        JsonNode tools = json("""
                [{"type":"function","function":{"name":"f","parameters":{"type":"object",
                  "properties":{"city":{"type":"string"}},"required":["city"]}}}]""");
        var g = engine.generate(with(Jobs.job("sim", maxTokens, 1.0, List.of(), false),
                new GenerationOptions(1, false, null, null, tools, json("\"required\""), null, null)), r, () -> false);
        assertThat(r.deltas).hasSize(pieces);
        assertThat(g.completionTokens()).isEqualTo(pieces);
        assertThat(g.finishReason()).isEqualTo(finish);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "max_tokens {0}, reasoning {1}: {2} pieces, {3}")
    @org.junit.jupiter.params.provider.CsvSource({
            "0, false, 0, length",
            "2, false, 2, length",
            "100, false, 3, stop", // {"a":true} is 10 characters: 3 pieces of 4
            "1, true, 1, length", // the reasoning piece took the only token
            "100, true, 4, stop",
    })
    void maxTokensCutsAJsonAnswerAndReasoningCountsAsAToken(int maxTokens, boolean reasoning, int pieces, String finish) {
        RecordingSink r = new RecordingSink();
        JsonNode format = json("""
                {"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object",
                 "properties":{"a":{"type":"boolean"}},"required":["a"]}}}""");
        var options = new GenerationOptions(1, false, null, format, null, null, null,
                reasoning ? java.util.Map.of("reasoning_effort", json("\"low\"")) : null);
        var g = engine.generate(with(Jobs.job("sim", maxTokens, 1.0, List.of(), false), options), r, () -> false);
        assertThat(r.deltas).hasSize(pieces);
        assertThat(g.completionTokens()).isEqualTo(pieces);
        assertThat(g.finishReason()).isEqualTo(finish);
    }

    @Test
    void autoToolChoiceAnswersInTextAfterTheToolReplied() {
        InferenceJob plain = Jobs.job("sim", 3, 1.0, List.of(), false);
        InferenceJob afterTool = new InferenceJob(plain.v(), plain.jobId(), "r", "t", "sim", 0,
                List.of(new PromptMessage("user", "Weather?"),
                        new PromptMessage("assistant", "", null, List.of(ToolCall.function("call_1", "w", "{}")), null),
                        new PromptMessage("tool", "sunny", null, null, "call_1")),
                plain.sampling(), plain.createdAtMs(), plain.deadlineAtMs(), null, null, 1.0,
                new GenerationOptions(1, false, null, null,
                        json("[{\"type\":\"function\",\"function\":{\"name\":\"w\"}}]"), json("\"auto\""), null, null));
        RecordingSink r = new RecordingSink();
        var g = engine.generate(afterTool, r, () -> false);
        assertThat(r.text(0)).isEqualTo("Once upon a");
        assertThat(g.finishReason()).isEqualTo("length");
    }

    @Test
    void aChoiceThatFailsStopsTheOthersAndFailsTheJob() {
        java.util.concurrent.atomic.AtomicInteger generatedAfterFailure = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean broke = new java.util.concurrent.atomic.AtomicBoolean();
        ChoiceFanOut.OneChoice flaky = (job, sink, cancelled) -> {
            if (job.sampling().seed() == 43L) { // choice 1
                broke.set(true);
                throw new EngineException(io.switchboard.schema.event.FailureCode.INFERENCE_FAILED, "boom", null);
            }
            for (int i = 0; i < 10_000 && !cancelled.getAsBoolean(); i++) {
                if (broke.get()) {
                    generatedAfterFailure.incrementAndGet();
                }
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            return new InferenceEngine.Generation("length", 1, 1, cancelled.getAsBoolean());
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ChoiceFanOut.run(with(Jobs.job("sim", 4, 1.0, List.of(), false),
                new GenerationOptions(2, false, null, null, null, null, null, null)), new RecordingSink(), () -> false, flaky))
                .isInstanceOf(EngineException.class);
        assertThat(generatedAfterFailure.get()).as("choice 0 stopped within a few steps").isLessThan(100);
    }

    @Test
    void eachChoicesProgressReachesTheJobsSink() {
        ChoiceFanOut.OneChoice reading = (job, sink, cancelled) -> {
            sink.progress(5); // an answer read whole: its tokens are reported before anything is handed on
            return new InferenceEngine.Generation("stop", 1, 5, false);
        };
        RecordingSink sink = new RecordingSink();
        ChoiceFanOut.run(with(Jobs.job("sim", 8, 1.0, List.of(), false),
                new GenerationOptions(3, false, null, null, null, null, null, null)), sink, () -> false, reading);
        assertThat(sink.progressed()).isEqualTo(15);
    }
}
