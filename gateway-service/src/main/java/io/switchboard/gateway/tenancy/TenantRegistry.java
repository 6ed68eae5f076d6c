package io.switchboard.gateway.tenancy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.validation.Validator;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.switchboard.gateway.GatewayConfig;
import io.vertx.core.Vertx;

/**
 * What this gateway knows of tenants and keys, held in memory so that authenticating costs no network round trip:
 * the tenants file's tenants merged over those stored in Redis ({@link TenantStore}). Every change publishes its new
 * version on a Redis channel ({@link TenancyChanges}): on each notice the gateway compares versions and reloads when
 * the version moved, so a change made through any gateway replica (a revoked key) takes effect on every replica as the
 * notice arrives. While notices cannot arrive (the subscription's connection is down) Redis is polled for the version
 * every {@code refresh-interval} (250 ms) instead, and every {@code listening-refresh-interval} (5 s) while they can,
 * in case one was lost. The file is re-read when its content changes. A reload that fails keeps the last good state.
 */
@ApplicationScoped
public class TenantRegistry {
    private static final Logger LOG = Logger.getLogger(TenantRegistry.class);
    /** A poll that has not answered by then is given up (and the next one tried), so polling never stops for good. */
    private static final Duration POLL_TIMEOUT = Duration.ofSeconds(2);

    private final GatewayConfig.Tenancy config;
    private final TenantStore store;
    private final Validator validator;
    private final Vertx vertx;
    private final MeterRegistry metrics;
    private final AtomicBoolean polling = new AtomicBoolean();
    /** A poll was asked for while one was in flight (which may have read the version before the change): poll again. */
    private final AtomicBoolean again = new AtomicBoolean();
    private final List<Long> timers = new ArrayList<>();
    private final TenancyChanges changes;
    /** Guards the poll's timer (not {@code this}: a timer must not wait behind a merge). */
    private final Object pollLock = new Object();
    private long pollTimer = -1;
    private boolean stopped;

    private volatile TenancySnapshot stored = TenancySnapshot.EMPTY;
    private volatile TenantsFile.Declared declared = TenantsFile.Declared.NONE;
    private volatile String fileContent;
    private volatile TenancySnapshot merged = TenancySnapshot.EMPTY;

    @Inject
    public TenantRegistry(GatewayConfig config, TenantStore store, Validator validator, Vertx vertx, MeterRegistry metrics,
            ReactiveRedisDataSource redis) {
        this.config = config.tenancy();
        this.store = store;
        this.validator = validator;
        this.vertx = vertx;
        this.metrics = metrics;
        this.changes = new TenancyChanges(redis.getRedis().getDelegate(), vertx, metrics, this::pollRedis,
                this::schedulePoll);
        Gauge.builder("switchboard.tenancy.tenants", this, r -> r.merged.tenants().size())
                .description("Tenants known to this gateway (file and Redis)").register(metrics);
        Gauge.builder("switchboard.tenancy.keys", this, r -> r.merged.keysById().size())
                .description("API keys known to this gateway, revoked ones included").register(metrics);
    }

    /**
     * Reads the file (a bad file stops the start), then Redis (if down, retried by the poll), then listens for change
     * notices and starts polling.
     */
    void start(@Observes StartupEvent ignored) {
        config.file().ifPresent(file -> {
            if (!readFile(file)) {
                throw new IllegalStateException("cannot start: the tenants file " + file + " is missing or not valid (see above)");
            }
        });
        try {
            accept(store.load().await().atMost(Duration.ofSeconds(5)));
            reloaded("redis", true);
        } catch (RuntimeException e) {
            LOG.warnf("tenants not loaded from Redis yet (%s); retrying", e.getMessage());
            reloaded("redis", false);
        }
        merge();
        changes.start();
        schedulePoll();
        config.file().ifPresent(file -> timers.add(vertx.setPeriodic(config.fileCheckInterval().toMillis(),
                id -> vertx.executeBlocking(() -> readFile(file), false))));
    }

    /**
     * Shutting down, after the drain ({@code ShutdownDrain}, priority 1): no more polls or subscriptions, as the Redis
     * client closes before this bean is destroyed.
     */
    void stopping(@Observes @Priority(100) ShutdownEvent ignored) {
        synchronized (pollLock) {
            stopped = true;
            vertx.cancelTimer(pollTimer);
        }
        changes.close();
    }

    @PreDestroy
    void stop() {
        timers.forEach(vertx::cancelTimer);
    }

    /**
     * (Re)schedules the next poll of Redis: after {@code refresh-interval} while change notices cannot arrive, after
     * {@code listening-refresh-interval} while they can. Runs again when that flips.
     */
    private void schedulePoll() {
        synchronized (pollLock) {
            if (stopped) {
                return;
            }
            vertx.cancelTimer(pollTimer);
            long delay = (changes.listening() ? config.listeningRefreshInterval() : config.refreshInterval()).toMillis();
            pollTimer = vertx.setTimer(Math.max(1, delay), id -> {
                pollRedis();
                schedulePoll();
            });
        }
    }

    /** The current tenants and keys. */
    public TenancySnapshot snapshot() {
        return merged;
    }

    /** Reloads from Redis now (after this gateway changed something), rather than at the next poll. */
    public void refresh() {
        try {
            accept(store.load().await().atMost(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
            LOG.warnf("tenants not reloaded: %s", e.getMessage());
        }
    }

    private void pollRedis() {
        again.set(true);
        if (!polling.compareAndSet(false, true)) {
            return;
        }
        again.set(false);
        store.version()
                .chain(version -> version == stored.version() ? io.smallrye.mutiny.Uni.createFrom().nullItem() : store.load())
                .ifNoItem().after(POLL_TIMEOUT).fail()
                .subscribe().with(snapshot -> {
                    if (snapshot != null && accept(snapshot)) {
                        reloaded("redis", true);
                        LOG.debugf("tenancy reloaded at version %d", snapshot.version());
                    }
                    polled();
                }, failure -> {
                    reloaded("redis", false);
                    LOG.debugf("tenancy poll failed: %s", failure.getMessage());
                    polled();
                });
    }

    private void polled() {
        polling.set(false);
        if (again.get()) {
            pollRedis();
        }
    }

    /** Reads the file if its content changed; false when it is unreadable or not valid (the last good one stays). */
    private boolean readFile(Path file) {
        String content;
        try {
            content = Files.readString(file);
        } catch (Exception e) {
            if (!"".equals(fileContent)) {
                reloaded("file", false);
                LOG.errorf("tenants file %s cannot be read, keeping the last good one: %s", file, e.toString());
            }
            fileContent = "";
            return false;
        }
        if (content.equals(fileContent)) {
            return true;
        }
        fileContent = content; // a bad file is reported once, and read again when it changes
        try {
            declared = TenantsFile.parse(content, Files.getLastModifiedTime(file).toMillis() / 1000, validator);
        } catch (Exception e) {
            reloaded("file", false);
            LOG.errorf("tenants file %s not loaded, keeping the last good one: %s", file, e.getMessage());
            return false;
        }
        merge();
        reloaded("file", true);
        LOG.infof("tenants file %s: %d tenants, %d keys", file, declared.tenants().size(), declared.keys().size());
        return true;
    }

    /** Takes a snapshot read from Redis unless a newer one is already in (a slow poll must not undo a revocation). */
    private synchronized boolean accept(TenancySnapshot snapshot) {
        if (snapshot.version() < stored.version()) {
            return false;
        }
        stored = snapshot;
        merge();
        return true;
    }

    private synchronized void merge() {
        TenancySnapshot s = stored;
        TenantsFile.Declared d = declared;
        List<Tenant> tenants = new ArrayList<>(s.tenants().values());
        d.tenants().forEach(t -> {
            if (s.tenants().containsKey(t.id())) {
                LOG.warnf("tenant %s is both in Redis and in the tenants file; the file wins", t.id());
            }
        });
        tenants.addAll(d.tenants());
        List<ApiKey> keys = new ArrayList<>(s.keysById().values());
        keys.addAll(d.keys());
        merged = TenancySnapshot.of(s.version(), tenants, keys);
    }

    private void reloaded(String source, boolean ok) {
        Counter.builder("switchboard.tenancy.reloads").description("Reloads of tenants and keys, by source and result")
                .tag("source", source).tag("result", ok ? "ok" : "failed").register(metrics).increment();
    }
}
