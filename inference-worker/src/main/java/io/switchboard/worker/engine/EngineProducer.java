package io.switchboard.worker.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;

import io.switchboard.worker.WorkerConfig;

/** Builds the configured engine at start-up; an unknown engine name or a missing model fails start-up. */
@ApplicationScoped
public class EngineProducer {

    @Produces
    @ApplicationScoped
    InferenceEngine engine(WorkerConfig config) {
        return switch (config.engine()) {
            case "llama" -> llama(config);
            case "simulated" -> new SimulatedEngine(config.modelId().orElse("simulated"),
                    config.simulated().timeToFirstToken(), config.simulated().tokensPerSecond());
            default -> throw new IllegalArgumentException(
                    "switchboard.worker.engine must be 'llama' or 'simulated', not '" + config.engine() + "'");
        };
    }

    void close(@Disposes InferenceEngine engine) {
        engine.close();
    }

    private static InferenceEngine llama(WorkerConfig config) {
        String model = config.llama().model().orElseThrow(() -> new IllegalArgumentException(
                "switchboard.worker.llama.model (SWITCHBOARD_MODEL) must name a GGUF file for the llama engine"));
        Path gguf = Path.of(model);
        String id = config.modelId().orElse(gguf.getFileName().toString().replaceFirst("(?i)\\.gguf$", ""));
        isolateNativeLibrary();
        return new LlamaEngine(gguf, id, config.slots(), config.llama().ctxPerSlot(), config.llama().threads().orElse(null),
                config.llama().gpuLayers(), config.llama().nativeLog());
    }

    /**
     * The binding extracts its native library into a temp folder and deletes every {@code llama*} file it finds
     * there first; a folder of this process's own keeps workers on one machine from deleting each other's.
     */
    private static void isolateNativeLibrary() {
        if (System.getProperty("de.kherud.llama.tmpdir") != null) {
            return;
        }
        try {
            Path dir = Files.createTempDirectory("switchboard-native-");
            dir.toFile().deleteOnExit();
            System.setProperty("de.kherud.llama.tmpdir", dir.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
