package io.switchboard.worker.engine.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.worker.Jobs;
import io.switchboard.worker.TestLlamaServer;
import io.switchboard.worker.engine.EngineException;
import io.switchboard.worker.engine.RecordingSink;

/** A llama-server started with {@code --api-key}: the worker's key opens it, a wrong one fails as ours (500). */
class UpstreamKeyOnLlamaServerTest {
    static TestLlamaServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestLlamaServer.start("--api-key", "right-key");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void theRightKeyIsServed() {
        try (OpenAiEngine engine = Upstreams.engine(Upstreams.llamaServer(server.baseUrl()).withApiKey("right-key"))) {
            var g = engine.generate(Jobs.job("stories", 4, 0.0, List.of(), true), new RecordingSink(), () -> false);
            assertThat(g.completionTokens()).isEqualTo(4);
        }
    }

    @Test
    void aWrongKeyFailsAsInferenceFailedNamingTheCredentials() {
        try (OpenAiEngine engine = Upstreams.engine(Upstreams.llamaServer(server.baseUrl()).withApiKey("wrong-key"))) {
            assertThatThrownBy(() -> engine.generate(Jobs.job("stories", 4, 0.0, List.of(), true), new RecordingSink(),
                    () -> false)).isInstanceOfSatisfying(EngineException.class, e -> {
                        assertThat(e.code()).isEqualTo(FailureCode.INFERENCE_FAILED);
                        assertThat(e.getMessage()).contains("credentials").doesNotContain("wrong-key");
                    });
        }
    }

    @Test
    void noKeyFailsToo() {
        try (OpenAiEngine engine = Upstreams.engine(Upstreams.llamaServer(server.baseUrl()))) {
            assertThatThrownBy(() -> engine.generate(Jobs.job("stories", 4, 0.0, List.of(), true), new RecordingSink(),
                    () -> false)).isInstanceOfSatisfying(EngineException.class,
                            e -> assertThat(e.code()).isEqualTo(FailureCode.INFERENCE_FAILED));
        }
    }
}
