package io.switchboard.worker.engine;

import io.switchboard.worker.WorkerConfig;

/**
 * Builds one kind of engine from the worker's configuration. Each kind is a CDI bean named with
 * {@link io.smallrye.common.annotation.Identifier} ({@code llama}, {@code simulated}, {@code openai},
 * {@code llama-server}); {@code switchboard.worker.engine} picks one by that name ({@link EngineProducer}).
 */
public interface EngineFactory {
    InferenceEngine create(WorkerConfig config);
}
