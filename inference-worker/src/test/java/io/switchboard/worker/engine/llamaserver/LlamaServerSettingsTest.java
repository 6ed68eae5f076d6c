package io.switchboard.worker.engine.llamaserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The child's command line. */
class LlamaServerSettingsTest {
    @Test
    void theCommandServesTheModelWithTheWorkersSlotsOnLoopbackWithToolsAndMetrics() {
        var s = new LlamaServerSettings(Path.of("/bin/llama-server"), Path.of("/m/x.gguf"), 4, 512, 3, 99, 9000,
                List.of("--threads-batch", "2"), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofSeconds(1));
        assertThat(s.command()).containsExactly("/bin/llama-server", "-m", "/m/x.gguf", "-np", "4", "-c", "2048", "--host",
                "127.0.0.1", "--port", "9000", "--jinja", "--metrics", "-t", "3", "-ngl", "99", "--threads-batch", "2");
    }
}
