package io.switchboard.worker.engine.llamaserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.worker.Jobs;
import io.switchboard.worker.TestLlamaServer;
import io.switchboard.worker.engine.EngineException;
import io.switchboard.worker.engine.InferenceEngine.EventSink;
import io.switchboard.worker.engine.openai.Flavor;
import io.switchboard.worker.engine.openai.OpenAiSettings;

/** The managed llama-server: started by the worker, supervised, restarted when it dies, stopped on close. */
class LlamaServerEngineTest {
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    static LlamaServerSettings settings(Path binary, Path model, int port) {
        return new LlamaServerSettings(binary, model, 2, 512, null, 0, port, List.of(), Duration.ofSeconds(60),
                Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofSeconds(2));
    }

    LlamaServerEngine start(LlamaServerSettings s) {
        OpenAiSettings upstream = OpenAiSettings.of(java.net.URI.create("http://127.0.0.1:" + s.port() + "/v1"), "stories",
                Flavor.LLAMA_SERVER).withHealthInterval(Duration.ofMillis(200));
        return LlamaServerEngineFactory.create(s, upstream, "stories", meters, io.switchboard.worker.TestVertx.shared());
    }

    @Test
    void aKilledServerMakesTheEngineUnavailableFailsItsRunningJobAndComesBackAfterARestart() throws Exception {
        try (LlamaServerEngine engine = start(settings(TestLlamaServer.binary(), TestLlamaServer.model(),
                TestLlamaServer.freePort()))) {
            assertThat(engine.capabilities().available()).isTrue();
            assertThat(engine.capabilities().contextLength()).isEqualTo(512);
            long firstPid = engine.pid().orElseThrow();

            AtomicInteger pieces = new AtomicInteger();
            var running = CompletableFuture.supplyAsync(() -> engine.generate(Jobs.job("stories", 5000, 0.8, List.of(), true),
                    new EventSink() {
                        @Override
                        public void delta(TokenEvent.Delta d) {
                            pieces.incrementAndGet();
                        }

                        @Override
                        public void choiceEnd(int index, String reason) {
                        }
                    }, () -> false));
            await().atMost(Duration.ofSeconds(10)).until(() -> pieces.get() >= 3);
            new ProcessBuilder("kill", "-9", String.valueOf(firstPid)).start().waitFor();

            await().atMost(Duration.ofSeconds(5)).until(() -> !engine.capabilities().available());
            assertThat(running).failsWithin(Duration.ofSeconds(5)).withThrowableThat().havingCause()
                    .isInstanceOfSatisfying(EngineException.class, e -> {
                        assertThat(e.code()).isEqualTo(FailureCode.ENGINE_UNAVAILABLE);
                        assertThat(e.completionTokens()).isPositive();
                    });

            await().atMost(Duration.ofSeconds(30)).until(() -> engine.capabilities().available());
            assertThat(engine.pid()).isPresent().isNotEqualTo(java.util.OptionalLong.of(firstPid));
            assertThat(meters.get("switchboard.engine.restarts").counter().count()).isEqualTo(1.0);
            var g = engine.generate(Jobs.job("stories", 8, 0.0, List.of(), true), EventSink.texts(t -> {
            }), () -> false);
            assertThat(g.completionTokens()).isEqualTo(8);
        }
    }

    @Test
    void closingStopsTheServer() throws Exception {
        LlamaServerEngine engine = start(settings(TestLlamaServer.binary(), TestLlamaServer.model(),
                TestLlamaServer.freePort()));
        ProcessHandle child = ProcessHandle.of(engine.pid().orElseThrow()).orElseThrow();
        engine.close();
        assertThat(child.isAlive()).isFalse();
        assertThat(engine.capabilities().available()).isFalse();
    }

    @Test
    void aMissingBinaryFailsStartUpNamingIt() {
        Path missing = Path.of("/nonexistent/llama-server");
        assertThatThrownBy(() -> start(settings(missing, TestLlamaServer.model(), 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(missing.toString());
    }

    @Test
    void aMissingModelFailsStartUpNamingIt() {
        Path missing = Path.of("/nonexistent/model.gguf");
        assertThatThrownBy(() -> start(settings(TestLlamaServer.binary(), missing, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(missing.toString());
    }

    @Test
    void aServerThatCannotLoadItsModelFailsStartUpWithItsOutput() throws Exception {
        Path notAModel = java.nio.file.Files.createTempFile("not-a-model", ".gguf");
        java.nio.file.Files.writeString(notAModel, "not a gguf file");
        assertThatThrownBy(() -> start(settings(TestLlamaServer.binary(), notAModel, TestLlamaServer.freePort())))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("exited with code");
    }
}
