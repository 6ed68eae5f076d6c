package io.switchboard.worker.engine.openai;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * The engine's meters: {@code switchboard_engine_available}, {@code switchboard_engine_upstream_requests_total} by
 * {@code outcome}, and the upstream's own load where its metrics say it ({@code switchboard_engine_upstream_running},
 * {@code _waiting}, {@code _kv_cache_usage}; NaN until known).
 */
public final class UpstreamMetrics {
    private final MeterRegistry registry;
    private final Tags tags;
    private final Map<String, Counter> requests = new ConcurrentHashMap<>();
    private final Counter retriedConnections;
    private final Counter retriedConnects;
    private volatile double running = Double.NaN;
    private volatile double waiting = Double.NaN;
    private volatile double kvCacheUsage = Double.NaN;

    public UpstreamMetrics(MeterRegistry registry, String engineKind) {
        this.registry = registry;
        this.tags = Tags.of("engine", engineKind);
        Gauge.builder("switchboard.engine.upstream.running", this, m -> m.running).tags(tags)
                .description("Sequences the upstream is generating").strongReference(true).register(registry);
        Gauge.builder("switchboard.engine.upstream.waiting", this, m -> m.waiting).tags(tags)
                .description("Requests queued in the upstream").strongReference(true).register(registry);
        Gauge.builder("switchboard.engine.upstream.kv_cache_usage", this, m -> m.kvCacheUsage).tags(tags)
                .description("Share of the upstream's KV cache in use (0-1)").strongReference(true).register(registry);
        this.retriedConnections = Counter.builder("switchboard.engine.upstream.retried_connections").tags(tags)
                .description("Requests sent again because the upstream closed their kept-alive connection unanswered")
                .register(registry);
        this.retriedConnects = Counter.builder("switchboard.engine.upstream.retried_connects").tags(tags)
                .description("Connections to a loopback upstream opened again because the first was not accepted at "
                        + "once (its accept queue was full)")
                .register(registry);
    }

    /** Reports {@code available} as 1 or 0. */
    public void availability(BooleanSupplier available) {
        Gauge.builder("switchboard.engine.available", available, a -> a.getAsBoolean() ? 1 : 0).tags(tags)
                .description("1 while the engine can serve").strongReference(true).register(registry);
    }

    /** One upstream request ended: {@code ok}, {@code cancelled}, or a failure code's wire name. */
    void request(String outcome) {
        requests.computeIfAbsent(outcome, o -> Counter.builder("switchboard.engine.upstream.requests").tags(tags)
                .tag("outcome", o).description("Requests sent upstream, by how they ended").register(registry))
                .increment();
    }

    void retriedConnection() {
        retriedConnections.increment();
    }

    void retriedConnect() {
        retriedConnects.increment();
    }

    void load(Double running, Double waiting, Double kvCacheUsage) {
        this.running = running == null ? Double.NaN : running;
        this.waiting = waiting == null ? Double.NaN : waiting;
        this.kvCacheUsage = kvCacheUsage == null ? Double.NaN : kvCacheUsage;
    }

    public MeterRegistry registry() {
        return registry;
    }

    public Tags tags() {
        return tags;
    }
}
