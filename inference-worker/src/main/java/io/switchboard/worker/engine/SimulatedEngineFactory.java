package io.switchboard.worker.engine;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.common.annotation.Identifier;
import io.switchboard.worker.WorkerConfig;

/** {@code simulated}: no model, deterministic text at a configured pace (load tests). */
@ApplicationScoped
@Identifier("simulated")
public class SimulatedEngineFactory implements EngineFactory {
    @Override
    public InferenceEngine create(WorkerConfig config) {
        return new SimulatedEngine(config.modelId().orElse("simulated"), config.simulated().timeToFirstToken(),
                config.simulated().tokensPerSecond());
    }
}
