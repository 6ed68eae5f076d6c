package io.switchboard.worker.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.common.annotation.Identifier;
import io.switchboard.worker.WorkerConfig;

/** {@code llama}: llama.cpp in-process through its Java binding; the model is {@code switchboard.worker.llama.model}. */
@ApplicationScoped
@Identifier("llama")
public class LlamaEngineFactory implements EngineFactory {
    @Override
    public InferenceEngine create(WorkerConfig config) {
        Path gguf = modelFile(config);
        isolateNativeLibrary();
        return new LlamaEngine(gguf, modelId(config, gguf), config.slots(), config.llama().ctxPerSlot(),
                config.llama().threads().orElse(null), config.llama().gpuLayers(), config.llama().nativeLog());
    }

    /** The GGUF file ({@code switchboard.worker.llama.model}); required by the engines that load one. */
    public static Path modelFile(WorkerConfig config) {
        String model = config.llama().model().orElseThrow(() -> new IllegalArgumentException(
                "switchboard.worker.llama.model (SWITCHBOARD_MODEL) must name a GGUF file for the " + config.engine()
                        + " engine"));
        return Path.of(model);
    }

    /** The configured model id, else the GGUF file name without its extension. */
    public static String modelId(WorkerConfig config, Path gguf) {
        return config.modelId().orElse(gguf.getFileName().toString().replaceFirst("(?i)\\.gguf$", ""));
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
