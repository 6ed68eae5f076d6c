package io.switchboard.gateway.catalog;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Incoming;

import io.switchboard.gateway.GatewayConfig;
import io.switchboard.schema.event.WorkerHeartbeat;
import io.switchboard.schema.openai.Model;

/**
 * The models this gateway answers for: the configured ones plus every model a live worker announced
 * in a heartbeat within {@code switchboard.gateway.model-liveness}.
 */
@ApplicationScoped
public class ModelCatalog {
    private final Map<String, Long> lastSeenMs = new ConcurrentHashMap<>();
    private final Map<String, Long> firstSeenSec = new ConcurrentHashMap<>();
    private final long startedSec = System.currentTimeMillis() / 1000;

    @Inject
    GatewayConfig config;

    @Incoming("heartbeats")
    public void onHeartbeat(WorkerHeartbeat heartbeat) {
        if (heartbeat == null) {
            return;
        }
        long now = System.currentTimeMillis();
        for (String model : heartbeat.models()) {
            lastSeenMs.put(model, now);
            firstSeenSec.putIfAbsent(model, now / 1000);
        }
    }

    public List<Model> list() {
        TreeMap<String, Model> models = new TreeMap<>();
        config.models().orElse(List.of()).forEach(id -> models.put(id, Model.of(id, startedSec, "switchboard")));
        lastSeenMs.keySet().forEach(id -> live(id).ifPresent(m -> models.putIfAbsent(id, m)));
        return List.copyOf(models.values());
    }

    /** The model, if it is configured or a live worker announced it; called on every request, so no list is built. */
    public Optional<Model> find(String id) {
        if (config.models().map(m -> m.contains(id)).orElse(false)) {
            return Optional.of(Model.of(id, startedSec, "switchboard"));
        }
        return live(id);
    }

    /** The model as announced by workers, while a heartbeat naming it is younger than the liveness window. */
    private Optional<Model> live(String id) {
        Long seen = lastSeenMs.get(id);
        if (seen == null || seen < System.currentTimeMillis() - config.modelLiveness().toMillis()) {
            return Optional.empty();
        }
        return Optional.of(Model.of(id, firstSeenSec.getOrDefault(id, startedSec), "switchboard"));
    }
}
