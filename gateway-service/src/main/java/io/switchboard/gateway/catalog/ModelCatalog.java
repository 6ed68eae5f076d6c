package io.switchboard.gateway.catalog;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Incoming;

import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.Feature;
import io.switchboard.schema.event.GenerationOptions;
import io.switchboard.schema.event.WorkerHeartbeat;
import io.switchboard.schema.openai.Model;

/**
 * The models this gateway answers for, and what their engines can do: the configured models plus every model (and
 * alias) a live worker announced in a heartbeat within {@code switchboard.gateway.model-liveness}, with each worker's
 * {@link EngineCapabilities} and provider. A request names a model or an alias ({@link #resolve}); what it needs of the
 * engine is checked against the live workers of that model before the job is published ({@link #checkCapabilities}).
 */
@ApplicationScoped
public class ModelCatalog {
    /** What one worker last announced. */
    private record Announced(List<String> models, EngineCapabilities capabilities, String provider, long seenMs) {
    }

    private final Map<String, Announced> workers = new ConcurrentHashMap<>();
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
        workers.put(heartbeat.workerId(), new Announced(heartbeat.models(), heartbeat.capabilities(), heartbeat.provider(), now));
        for (String model : heartbeat.models()) {
            firstSeenSec.putIfAbsent(model, now / 1000);
        }
        for (String alias : heartbeat.capabilities().aliases()) {
            firstSeenSec.putIfAbsent(alias, now / 1000);
        }
    }

    /** Every model and alias served: an alias is listed as a model of its own (OpenAI's list has no alias field). */
    public List<Model> list() {
        TreeMap<String, Model> models = new TreeMap<>();
        config.models().orElse(List.of()).forEach(id -> models.put(id, Model.of(id, startedSec, "switchboard")));
        for (Announced a : live()) {
            a.models().forEach(id -> models.putIfAbsent(id, model(id)));
            a.capabilities().aliases().forEach(id -> models.putIfAbsent(id, model(id)));
        }
        return List.copyOf(models.values());
    }

    /** The model or alias, if it is configured or a live worker announced it; called on every request. */
    public Optional<Model> find(String id) {
        return resolve(id).map(canonical -> canonical.equals(id) && isConfigured(id)
                ? Model.of(id, startedSec, "switchboard") : model(id));
    }

    /** The model a request naming {@code id} runs on: {@code id} itself, or the model it is an alias of. */
    public Optional<String> resolve(String id) {
        if (isConfigured(id)) {
            return Optional.of(id);
        }
        String aliasOf = null;
        for (Announced a : live()) {
            if (a.models().contains(id)) {
                return Optional.of(id);
            }
            if (aliasOf == null && a.capabilities().aliases().contains(id) && !a.models().isEmpty()) {
                aliasOf = a.models().getFirst();
            }
        }
        return Optional.ofNullable(aliasOf);
    }

    /**
     * Refuses, with a 400 naming the parameter, a request that needs of its engine what no live worker of the model (of
     * the forced provider, if any) offers: {@code n} beyond the engine's most choices, logprobs, a JSON mode, tools or an
     * extension. A model that only the configuration names (no heartbeat yet) is taken as plain text.
     */
    public void checkCapabilities(String model, GenerationOptions options, String provider) {
        Set<Feature> needs = options.needs();
        if (needs.isEmpty()) {
            return;
        }
        Feature missing = needs.iterator().next();
        for (Announced a : live()) {
            if (!a.models().contains(model) || (provider != null && !provider.equals(a.provider()))) {
                continue;
            }
            EngineCapabilities c = a.capabilities();
            Feature lacking = needs.stream().filter(f -> !c.supports(f)).findFirst().orElse(null);
            boolean choicesFit = options.n() <= c.maxN();
            if (lacking == null && choicesFit) {
                return;
            }
            missing = lacking != null ? lacking : Feature.N;
        }
        String param = missing.parameter();
        String what = missing == Feature.N ? "n = " + options.n() : "'" + param + "'"
                + (missing == Feature.JSON_OBJECT || missing == Feature.JSON_SCHEMA ? " of type '" + options.responseFormatType() + "'" : "");
        throw new ApiException(400, "invalid_request_error", param, "unsupported_parameter", "The model '" + model
                + "' is served by an engine that does not support " + what + "; no live worker of it offers it.");
    }

    private boolean isConfigured(String id) {
        return config.models().map(m -> m.contains(id)).orElse(false);
    }

    private Model model(String id) {
        return Model.of(id, firstSeenSec.getOrDefault(id, startedSec), "switchboard");
    }

    /** The workers heard from within the liveness window. */
    private List<Announced> live() {
        long oldest = System.currentTimeMillis() - config.modelLiveness().toMillis();
        workers.values().removeIf(a -> a.seenMs() < oldest - config.modelLiveness().toMillis());
        return workers.values().stream().filter(a -> a.seenMs() >= oldest).toList();
    }
}
