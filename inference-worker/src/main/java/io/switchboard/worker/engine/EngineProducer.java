package io.switchboard.worker.engine;

import java.util.HashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;

import io.smallrye.common.annotation.Identifier;
import io.switchboard.worker.WorkerConfig;

/**
 * Builds the configured engine at start-up with the {@link EngineFactory} named {@code switchboard.worker.engine};
 * an unknown name, or an engine that cannot start (a missing model, an unreachable binary), fails start-up.
 */
@ApplicationScoped
public class EngineProducer {

    @Produces
    @ApplicationScoped
    InferenceEngine engine(WorkerConfig config, @Any Instance<EngineFactory> factories) {
        Map<String, Instance.Handle<EngineFactory>> named = new HashMap<>();
        for (Instance.Handle<EngineFactory> handle : factories.handles()) {
            handle.getBean().getQualifiers().stream()
                    .filter(Identifier.class::isInstance)
                    .map(q -> ((Identifier) q).value())
                    .forEach(name -> named.put(name, handle));
        }
        return EngineChoice.choose(config.engine(), named).get().create(config);
    }

    void close(@Disposes InferenceEngine engine) {
        engine.close();
    }
}
