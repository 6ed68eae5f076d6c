package io.switchboard.worker.engine;

import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import io.switchboard.schema.event.InferenceJob;

/**
 * Runs one sequence of a job on the calling thread. Implementations support concurrent calls up to
 * the worker's slot count (batched by the engine where it can).
 */
public interface InferenceEngine extends AutoCloseable {

    /** The engine kind, as announced in heartbeats ({@code llama}, {@code simulated}). */
    String kind();

    /** The model id this engine serves. */
    String modelId();

    /**
     * Generates the job's completion, handing each piece of text to {@code onDelta} as it is produced,
     * and stops early (returning what was produced) once {@code cancelled} answers true.
     *
     * @throws EngineException when the job cannot run (context overflow) or the engine fails
     */
    Generation generate(InferenceJob job, Consumer<String> onDelta, BooleanSupplier cancelled);

    /** How a sequence ended: {@code finishReason} is OpenAI's ({@code stop}, {@code length}). */
    record Generation(String finishReason, int promptTokens, int completionTokens, boolean cancelled) {
    }

    @Override
    void close();
}
