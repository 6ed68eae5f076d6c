package io.switchboard.worker.engine.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.worker.Jobs;
import io.switchboard.worker.TestLlamaServer;
import io.switchboard.worker.engine.EngineException;
import io.switchboard.worker.engine.RecordingSink;

/** What the client sees when the upstream misbehaves, proved against a local HTTP test double. */
class UpstreamFaultsTest {
    FakeUpstream upstream;
    OpenAiEngine engine;
    SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeUpstream();
        engine = engineAt(OpenAiSettings.of(upstream.baseUrl(), "m", Flavor.VLLM));
    }

    @AfterEach
    void stop() {
        engine.close();
        upstream.close();
    }

    private OpenAiEngine engineAt(OpenAiSettings settings) {
        return new OpenAiEngine("openai", "m", settings.withHealthInterval(Duration.ofMillis(100))
                .withTimeouts(Duration.ofSeconds(1), Duration.ofMillis(400), Duration.ofMillis(300), Duration.ofSeconds(2)),
                new UpstreamMetrics(meters, "openai"), ToolCallIds.from(new java.util.Random(1)),
                io.switchboard.worker.TestVertx.shared());
    }

    private static InferenceJob job() {
        return Jobs.job("m", 16, 0.0, List.of(), false);
    }

    private EngineException failure(RecordingSink sink) {
        try {
            engine.generate(job(), sink, () -> false);
        } catch (EngineException e) {
            return e;
        }
        throw new AssertionError("the job did not fail");
    }

    @Test
    void anUpstream500FailsAsInferenceFailedWithItsOwnSanitizedMessage() {
        upstream.chat = ex -> FakeUpstream.status(ex, 500,
                "{\"error\":{\"message\":\"CUDA out of memory\\n\\u0007 at Bearer sk-abcdefgh12345\"}}");
        EngineException e = failure(new RecordingSink());
        assertThat(e.code()).isEqualTo(FailureCode.INFERENCE_FAILED);
        assertThat(e.getMessage()).contains("500").contains("CUDA out of memory").doesNotContain("\n", "\u0007",
                "abcdefgh12345");
        assertThat(meters.get("switchboard.engine.upstream.requests").tag("outcome", "inference_failed").counter()
                .count()).isEqualTo(1.0);
    }

    @Test
    void aRequestWhoseConnectionTheUpstreamClosedUnansweredIsSentOnceMoreOnANewOne() throws Exception {
        java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
        FakeUpstream.Reply answer = FakeUpstream.sse(FakeUpstream.chunk(0, "{\"content\":\"Once\"}", "stop"),
                FakeUpstream.usage(3, 1), "[DONE]");
        upstream.chat = ex -> {
            if (requests.getAndIncrement() == 0) {
                ex.close(); // no status line: what a client sees on a kept-alive connection the server had closed
                return;
            }
            answer.answer(ex);
        };
        RecordingSink sink = new RecordingSink();

        var generation = engine.generate(job(), sink, () -> false);

        assertThat(sink.text(0)).isEqualTo("Once");
        assertThat(generation.completionTokens()).isEqualTo(1);
        assertThat(requests.get()).isEqualTo(2);
        assertThat(meters.get("switchboard.engine.upstream.retried_connections").counter().count()).isEqualTo(1.0);
    }

    @Test
    void aConnectionClosedUnansweredAfterTheUpstreamWorkedOnItIsNotSentAgain() {
        java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
        upstream.chat = ex -> {
            requests.incrementAndGet();
            Thread.sleep(300); // it read the request and worked on it, then went away (a crash, a proxy's timeout)
            ex.close();
        };

        EngineException e = failure(new RecordingSink());

        assertThat(e.code()).isEqualTo(FailureCode.ENGINE_UNAVAILABLE);
        assertThat(requests.get()).as("a POST that may have run is not sent twice").isEqualTo(1);
    }

    @Test
    void anUpstreamThatClosesEveryConnectionUnansweredFailsAfterOneRetry() {
        java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
        upstream.chat = ex -> {
            requests.incrementAndGet();
            ex.close();
        };

        EngineException e = failure(new RecordingSink());

        assertThat(e.code()).isEqualTo(FailureCode.ENGINE_UNAVAILABLE);
        assertThat(requests.get()).isEqualTo(2);
    }

    @Test
    void anUpstream429FailsAsEngineOverloaded() {
        upstream.chat = ex -> FakeUpstream.status(ex, 429, "{\"error\":{\"message\":\"slow down\"}}");
        assertThat(failure(new RecordingSink()).code()).isEqualTo(FailureCode.ENGINE_OVERLOADED);
    }

    @Test
    void anUpstream503FailsAsEngineOverloaded() {
        upstream.chat = ex -> FakeUpstream.status(ex, 503, "busy");
        assertThat(failure(new RecordingSink()).code()).isEqualTo(FailureCode.ENGINE_OVERLOADED);
    }

    @Test
    void anUpstream400FailsAsARejectedRequest() {
        upstream.chat = ex -> FakeUpstream.status(ex, 400, "{\"error\":{\"message\":\"bad top_k\"}}");
        EngineException e = failure(new RecordingSink());
        assertThat(e.code()).isEqualTo(FailureCode.ENGINE_REJECTED_REQUEST);
        assertThat(e.getMessage()).contains("bad top_k");
    }

    @Test
    void brokenJsonAfterTheFirstTokenFailsAsBadEngineOutputWithTheTokensSoFar() {
        upstream.chat = FakeUpstream.sse(FakeUpstream.chunk(0, "{\"content\":\"Once\"}", null),
                FakeUpstream.chunk(0, "{\"content\":\" upon\"}", null), "{\"choices\":[{\"ind");
        RecordingSink sink = new RecordingSink();
        EngineException e = failure(sink);
        assertThat(e.code()).isEqualTo(FailureCode.BAD_ENGINE_OUTPUT);
        assertThat(e.completionTokens()).isEqualTo(2);
        assertThat(sink.text(0)).isEqualTo("Once upon");
    }

    @Test
    void aChoiceIndexOutOfRangeFailsAsBadEngineOutput() {
        upstream.chat = FakeUpstream.sse(FakeUpstream.chunk(1, "{\"content\":\"hi\"}", null));
        assertThat(failure(new RecordingSink()).code()).isEqualTo(FailureCode.BAD_ENGINE_OUTPUT);
    }

    @Test
    void aChunkWithoutChoicesFailsAsBadEngineOutput() {
        upstream.chat = FakeUpstream.sse("{\"id\":\"x\",\"object\":\"chat.completion.chunk\"}");
        assertThat(failure(new RecordingSink()).code()).isEqualTo(FailureCode.BAD_ENGINE_OUTPUT);
    }

    @Test
    void aStreamThatEndsWithoutDoneFailsAsBadEngineOutput() {
        upstream.chat = FakeUpstream.sse(FakeUpstream.chunk(0, "{\"content\":\"hi\"}", "stop"));
        assertThat(failure(new RecordingSink()).code()).isEqualTo(FailureCode.BAD_ENGINE_OUTPUT);
    }

    @Test
    void aLastEventCutShortWithoutDoneFailsAtOnceAsBadEngineOutput() {
        // the body ends inside an event (no blank line after it, no [DONE]): cut short, not a wait for the idle timeout
        upstream.chat = ex -> {
            OutputStream out = FakeUpstream.startStream(ex);
            out.write(("data: " + FakeUpstream.chunk(0, "{\"content\":\"hi\"}", null) + "\n\ndata: "
                    + FakeUpstream.chunk(0, "{\"content\":\" there\"}", "stop") + "\n").getBytes(StandardCharsets.UTF_8));
        };
        engine.close(); // an idle timeout far longer than the answer: a wait for it cannot hide
        engine = engineWithIdleTimeout(Duration.ofSeconds(10));
        long t0 = System.nanoTime();
        RecordingSink sink = new RecordingSink();
        EngineException e = failure(sink);
        assertThat(e.code()).isEqualTo(FailureCode.BAD_ENGINE_OUTPUT);
        assertThat(e.completionTokens()).isEqualTo(2);
        assertThat(sink.text(0)).isEqualTo("hi there");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void commentLinesAfterTheFirstTokenKeepAStreamAliveLongerThanTheIdleTimeout() {
        // a keep-alive comment every 100 ms for 900 ms, against an idle timeout of 300 ms
        upstream.chat = ex -> {
            OutputStream out = FakeUpstream.startStream(ex);
            out.write(("data: " + FakeUpstream.chunk(0, "{\"content\":\"hi\"}", null) + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            for (int i = 0; i < 9; i++) {
                Thread.sleep(100);
                out.write(": keep-alive\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            out.write(("\ndata: " + FakeUpstream.chunk(0, "{\"content\":\" there\"}", "stop") + "\n\ndata: [DONE]\n\n")
                    .getBytes(StandardCharsets.UTF_8));
        };
        RecordingSink sink = new RecordingSink();
        assertThat(engine.generate(job(), sink, () -> false).finishReason()).isEqualTo("stop");
        assertThat(sink.text(0)).isEqualTo("hi there");
    }

    @Test
    void aCancelAfterTheFirstTokenEndsTheJobWithWhatItProducedAndNothingAfter() {
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        upstream.chat = streaming(200, 20, closed);
        RecordingSink sink = new RecordingSink();
        var g = generateCancelledAfter(3, sink);
        int produced = sink.text(0).length();
        assertThat(g.cancelled()).isTrue();
        assertThat(g.completionTokens()).isEqualTo(produced);
        assertThat(produced).isBetween(3, 10);
        awaitClosed(closed);
        assertThat(sink.text(0)).as("nothing reaches the sink after the job ended").hasSize(produced);
    }

    @Test
    void aCancelWhileTheAnswerStreamsIsSeenAtTheNextLineBeforeItsPieceReachesTheSink() {
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        // a line every 2 ms: many lines within one of the job thread's polls
        upstream.chat = streaming(2000, 2, closed);
        RecordingSink sink = new RecordingSink();
        var g = generateCancelledAfter(20, sink); // after 20 pieces, flowing: the job's thread sleeps its long step
        assertThat(g.cancelled()).isTrue();
        assertThat(sink.text(0)).as("the pieces before the cancel, none after").hasSize(20);
        assertThat(g.completionTokens()).isEqualTo(20);
        awaitClosed(closed);
    }

    /** Generates into {@code sink}, the job cancelled (by the thread that hands the pieces over) once it has {@code pieces}. */
    private io.switchboard.worker.engine.InferenceEngine.Generation generateCancelledAfter(int pieces, RecordingSink sink) {
        java.util.concurrent.atomic.AtomicBoolean cancel = new java.util.concurrent.atomic.AtomicBoolean();
        return engine.generate(job(), watched(sink, () -> {
            if (sink.text(0).length() >= pieces) {
                cancel.set(true);
            }
        }), cancel::get);
    }

    /**
     * An upstream that streams {@code lines} one-piece chunks ("x"), one every {@code everyMs}; {@code closed} counts
     * down when the engine closes the connection (the upstream stops generating).
     */
    private static FakeUpstream.Reply streaming(int lines, long everyMs, java.util.concurrent.CountDownLatch closed) {
        return ex -> {
            OutputStream out = FakeUpstream.startStream(ex);
            try {
                for (int i = 0; i < lines; i++) {
                    out.write(("data: " + FakeUpstream.chunk(0, "{\"content\":\"x\"}", null) + "\n\n")
                            .getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    Thread.sleep(everyMs);
                }
            } catch (java.io.IOException e) {
                closed.countDown();
            }
        };
    }

    /** A sink that records into {@code sink}, then runs {@code afterDelta} on the thread that handed the piece over. */
    private static io.switchboard.worker.engine.InferenceEngine.EventSink watched(RecordingSink sink, Runnable afterDelta) {
        return new io.switchboard.worker.engine.InferenceEngine.EventSink() {
            @Override
            public void delta(io.switchboard.schema.event.TokenEvent.Delta delta) {
                sink.delta(delta);
                afterDelta.run();
            }

            @Override
            public void choiceEnd(int index, String finishReason) {
                sink.choiceEnd(index, finishReason);
            }
        };
    }

    private static void awaitClosed(java.util.concurrent.CountDownLatch latch) {
        try {
            assertThat(latch.await(5, java.util.concurrent.TimeUnit.SECONDS)).as("the upstream saw its connection closed").isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private OpenAiEngine engineWithIdleTimeout(Duration idle) {
        return new OpenAiEngine("openai", "m", OpenAiSettings.of(upstream.baseUrl(), "m", Flavor.VLLM)
                .withHealthInterval(Duration.ofMillis(100))
                .withTimeouts(Duration.ofSeconds(1), Duration.ofMillis(400), idle, Duration.ofSeconds(20)),
                new UpstreamMetrics(meters, "openai"), ToolCallIds.from(new java.util.Random(1)),
                io.switchboard.worker.TestVertx.shared());
    }

    @Test
    void aDoneWithoutItsBlankLineStillEndsTheAnswer() {
        upstream.chat = ex -> {
            OutputStream out = FakeUpstream.startStream(ex);
            out.write(("data: " + FakeUpstream.chunk(0, "{\"content\":\"hi\"}", "stop") + "\n\ndata: [DONE]\n")
                    .getBytes(StandardCharsets.UTF_8));
        };
        RecordingSink sink = new RecordingSink();
        assertThat(engine.generate(job(), sink, () -> false).finishReason()).isEqualTo("stop");
        assertThat(sink.text(0)).isEqualTo("hi");
    }

    @Test
    void streamedChunksReachTheSinkOnTheHttpClientsThreadNotTheJobs() {
        // a token handed from the client's thread to the job's thread cost a wake-up each: they are read where they arrive
        upstream.chat = FakeUpstream.sse(FakeUpstream.chunk(0, "{\"content\":\"Once\"}", null),
                FakeUpstream.chunk(0, "{\"content\":\" upon\"}", "stop"), "[DONE]");
        java.util.Set<Thread> readers = java.util.concurrent.ConcurrentHashMap.newKeySet();
        RecordingSink sink = new RecordingSink();
        assertThat(engine.generate(job(), watched(sink, () -> readers.add(Thread.currentThread())), () -> false)
                .finishReason()).isEqualTo("stop");
        assertThat(sink.text(0)).isEqualTo("Once upon");
        assertThat(readers).isNotEmpty().doesNotContain(Thread.currentThread());
    }

    @Test
    void streamedChunksReachTheSinkOnTheSinksOwnEventLoopWhenItHasOne() {
        // the job's stream writer sends on one event loop: the answer is read there, so no token changes threads
        upstream.chat = FakeUpstream.sse(FakeUpstream.chunk(0, "{\"content\":\"Once\"}", null),
                FakeUpstream.chunk(0, "{\"content\":\" upon\"}", "stop"), "[DONE]");
        io.vertx.core.Context own = ((io.vertx.core.impl.VertxInternal) io.switchboard.worker.TestVertx.shared())
                .createEventLoopContext();
        java.util.List<io.vertx.core.Context> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        RecordingSink sink = new RecordingSink();
        var watched = watched(sink, () -> seen.add(io.vertx.core.Vertx.currentContext()));
        var onItsLoop = new io.switchboard.worker.engine.InferenceEngine.EventSink() {
            @Override
            public void delta(io.switchboard.schema.event.TokenEvent.Delta delta) {
                watched.delta(delta);
            }

            @Override
            public void choiceEnd(int index, String finishReason) {
                watched.choiceEnd(index, finishReason);
            }

            @Override
            public io.vertx.core.Context context() {
                return own;
            }
        };

        assertThat(engine.generate(job(), onItsLoop, () -> false).finishReason()).isEqualTo("stop");

        assertThat(sink.text(0)).isEqualTo("Once upon");
        assertThat(seen).hasSize(2).containsOnly(own);
    }

    @Test
    void anErrorInsideTheStreamEndsTheJobWithItsCode() {
        upstream.chat = FakeUpstream.sse(FakeUpstream.chunk(0, "{\"content\":\"hi\"}", null),
                "{\"error\":{\"code\":503,\"message\":\"shutting down\"}}");
        EngineException e = failure(new RecordingSink());
        assertThat(e.code()).isEqualTo(FailureCode.ENGINE_OVERLOADED);
        assertThat(e.completionTokens()).isEqualTo(1);
    }

    @Test
    void aRefusedConnectionFailsAsEngineUnavailableAndTheEngineIsNotAvailable() throws Exception {
        int closed = TestLlamaServer.freePort();
        engine.close();
        engine = engineAt(OpenAiSettings.of(java.net.URI.create("http://127.0.0.1:" + closed + "/v1"), "m", Flavor.VLLM));
        assertThat(engine.capabilities().available()).isFalse();
        assertThat(failure(new RecordingSink()).code()).isEqualTo(FailureCode.ENGINE_UNAVAILABLE);
    }

    @Test
    void anUpstreamThatNeverAnswersFailsAsEngineTimeout() {
        upstream.chat = ex -> Thread.sleep(5_000);
        long t0 = System.nanoTime();
        assertThat(failure(new RecordingSink()).code()).isEqualTo(FailureCode.ENGINE_TIMEOUT);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void silenceAfterTheFirstTokenFailsAsEngineTimeoutWithTheTokensSoFar() {
        upstream.chat = ex -> {
            OutputStream out = FakeUpstream.startStream(ex);
            out.write(("data: " + FakeUpstream.chunk(0, "{\"content\":\"hi\"}", null) + "\n\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            Thread.sleep(5_000);
        };
        EngineException e = failure(new RecordingSink());
        assertThat(e.code()).isEqualTo(FailureCode.ENGINE_TIMEOUT);
        assertThat(e.completionTokens()).isEqualTo(1);
    }

    @Test
    void availabilityFollowsTheUpstreamHealth() {
        assertThat(engine.capabilities().available()).isTrue();
        upstream.healthStatus = 503;
        await().atMost(Duration.ofSeconds(2)).until(() -> !engine.capabilities().available());
        upstream.healthStatus = 200;
        await().atMost(Duration.ofSeconds(2)).until(() -> engine.capabilities().available());
    }

    @Test
    void emptyToolCallIdsBecomeOneGeneratedIdPerCall() {
        upstream.chat = FakeUpstream.sse(
                FakeUpstream.chunk(0, "{\"role\":\"assistant\"}", null),
                FakeUpstream.chunk(0, "{\"tool_calls\":[{\"index\":0,\"id\":\"\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}", null),
                FakeUpstream.chunk(0, "{\"tool_calls\":[{\"index\":0,\"id\":\"\",\"function\":{\"arguments\":\"{\\\"a\\\":1}\"}}]}", null),
                FakeUpstream.chunk(0, "{\"tool_calls\":[{\"index\":1,\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]}", "tool_calls"),
                FakeUpstream.usage(5, 9), "[DONE]");
        RecordingSink sink = new RecordingSink();
        var g = engine.generate(job(), sink, () -> false);

        assertThat(sink.deltas).hasSize(3); // the role-only delta carries nothing
        var calls = sink.toolCalls();
        assertThat(calls.get(0).id()).startsWith("call_");
        assertThat(calls.get(1).id()).isNull();
        assertThat(calls.get(1).function().arguments()).isEqualTo("{\"a\":1}");
        assertThat(calls.get(2).id()).startsWith("call_").isNotEqualTo(calls.get(0).id());
        assertThat(g.finishReason()).isEqualTo("tool_calls");
        assertThat(g.promptTokens()).isEqualTo(5);
        assertThat(g.completionTokens()).isEqualTo(9);
    }

    @Test
    void theUpstreamKeyIsSentAsABearerToken() {
        engine.close();
        engine = engineAt(OpenAiSettings.of(upstream.baseUrl(), "m", Flavor.VLLM).withApiKey("secret-key"));
        upstream.chat = FakeUpstream.sse(FakeUpstream.chunk(0, "{\"content\":\"hi\"}", "stop"), FakeUpstream.usage(1, 1),
                "[DONE]");
        engine.generate(job(), new RecordingSink(), () -> false);
        assertThat(upstream.lastAuthorization.get()).isEqualTo("Bearer secret-key");
    }
}
