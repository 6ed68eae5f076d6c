package io.switchboard.worker.capacity;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.WorkerHeartbeat;
import io.switchboard.worker.WorkerConfig;
import io.switchboard.worker.engine.InferenceEngine;
import io.switchboard.worker.intake.CancelsFromRecent;
import io.switchboard.worker.report.RouterReports;

/**
 * Announces the worker's model, free slots and running jobs every heartbeat interval, from start-up (the engine is
 * loaded by then), to the routers through their Redis inbox ({@link RouterReports}: liveness and reconciliation); and
 * on Kafka for the gateways' model catalog, which needs only the models, engine, capabilities and provider: at once
 * when they change, else every {@code catalog-interval} (an idle worker writes a third of the records it did, and the
 * broker and every gateway wake for a third of them).
 */
@ApplicationScoped
public class HeartbeatPublisher {
    private static final Logger LOG = Logger.getLogger(HeartbeatPublisher.class);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "heartbeat");
        t.setDaemon(true);
        return t;
    });

    @Inject
    @Channel("heartbeats")
    MutinyEmitter<WorkerHeartbeat> heartbeats;
    @Inject
    WorkerConfig config;
    @Inject
    InferenceEngine engine;
    @Inject
    SlotPool slots;
    @Inject
    WorkerIdentity identity;
    @Inject
    RouterReports reports;
    @Inject
    @Identifier("worker-cancels-from-recent")
    CancelsFromRecent cancels;

    /** The last heartbeat sent on Kafka and when (null: none, or its send failed: the next one goes). */
    private volatile WorkerHeartbeat announced;
    private volatile long announcedAtMs;

    void start(@Observes StartupEvent ignored) {
        if (!io.switchboard.schema.event.Providers.valid(config.provider())) {
            throw new IllegalArgumentException("switchboard.worker.provider must be 'local' or 'cloud', not '"
                    + config.provider() + "'");
        }
        long interval = config.heartbeatInterval().toMillis();
        LOG.infof("worker %s serves '%s' (%s engine) with %d slots", identity.id(), engine.modelId(), engine.kind(),
                config.slots());
        timer.scheduleAtFixedRate(this::beat, 0, interval, TimeUnit.MILLISECONDS);
    }

    private void beat() {
        SlotPool.Status s = slots.status();
        var capabilities = offered(engine.capabilities(), config.slots(), config.aliases().orElse(List.of()),
                cancels.ready());
        // an engine that cannot serve (a managed engine restarting), or a worker that cannot hear cancels yet, offers
        // no room
        int free = capabilities.available() ? Math.max(0, s.slots() - s.active() - s.queued()) : 0;
        WorkerHeartbeat hb = new WorkerHeartbeat(WorkerHeartbeat.VERSION, identity.id(), List.of(engine.modelId()),
                engine.kind(), s.slots(), free, s.queued(), s.runningJobs(),
                System.currentTimeMillis(), config.heartbeatInterval().toMillis(), capabilities, config.provider(),
                s.generated());
        reports.heartbeat(hb);
        long now = System.currentTimeMillis();
        // half a tick of slack, so a timer that fired a millisecond early does not stretch the interval by a whole tick
        long every = config.catalogInterval().toMillis() - config.heartbeatInterval().toMillis() / 2;
        if (!toCatalog(announced, announcedAtMs, hb, now, every)) {
            return;
        }
        announced = hb;
        announcedAtMs = now;
        heartbeats.sendMessage(Message.of(hb).addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(identity.id()).build()))
                .subscribe().with(ok -> {
                }, t -> {
                    if (announced == hb) {
                        announced = null; // the next heartbeat goes
                    }
                    LOG.warnf("heartbeat not sent: %s", t.getMessage());
                });
    }

    /**
     * Whether heartbeat {@code next} goes on Kafka for the gateways' catalog: the first one, one that changes what the
     * catalog keeps (models, engine, capabilities, provider) from the last sent ({@code last}, at {@code lastAtMs}), or
     * one {@code everyMs} after the last.
     */
    static boolean toCatalog(WorkerHeartbeat last, long lastAtMs, WorkerHeartbeat next, long nowMs, long everyMs) {
        return last == null || nowMs - lastAtMs >= everyMs || !last.models().equals(next.models())
                || !java.util.Objects.equals(last.engine(), next.engine())
                || !java.util.Objects.equals(last.capabilities(), next.capabilities())
                || !java.util.Objects.equals(last.provider(), next.provider());
    }

    /**
     * What the engine can do as this worker offers it: its aliases plus the configured ones ({@code configured}), no
     * more choices per request than it has {@code slots} (each choice takes one), and available only once the worker
     * can hear cancels ({@code cancelsReady}, its cancels consumer has its partitions): a job it took before could not
     * be stopped by its client leaving, so until then the router gives it nothing.
     */
    static EngineCapabilities offered(EngineCapabilities c, int slots, List<String> configured, boolean cancelsReady) {
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>(c.aliases());
        all.addAll(configured);
        return new EngineCapabilities(List.copyOf(all), c.contextLength(), Math.min(c.maxN(), slots), c.features(),
                c.available() && cancelsReady);
    }

    /** Stops before the Kafka connectors close, so no heartbeat is sent into a closing producer. */
    void stop(@Observes ShutdownEvent ignored) {
        timer.shutdownNow();
    }
}
