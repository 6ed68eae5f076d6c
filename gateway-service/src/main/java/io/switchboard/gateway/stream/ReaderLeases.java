package io.switchboard.gateway.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.switchboard.gateway.GatewayConfig;
import io.switchboard.schema.wire.RedisKeys;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Command;

/**
 * Keeps {@link RedisKeys#jobReader} present for every job whose stream this gateway relays: one pipelined batch of
 * {@code SET key PX grace} every grace/3 for all of them (never a round trip per token or per request). A relay that
 * ends releases its job; the key then lapses within the grace, and a worker cancels a running job whose reader has
 * been gone longer than that (unless a client resumed it meanwhile, here or on another replica).
 */
@ApplicationScoped
public class ReaderLeases {
    private static final Logger LOG = Logger.getLogger(ReaderLeases.class);

    private final ReactiveRedisDataSource redis;
    private final Vertx vertx;
    private final long graceMs;
    /** The value of the reader keys this gateway holds: which replica relays the job (for operators). */
    private final String holder = "gateway-" + UUID.randomUUID();
    /** Job id → how many relays of this gateway hold it (a client may resume here before its old relay noticed). */
    private final Map<String, Integer> held = new ConcurrentHashMap<>();
    /** Commands per refresh batch (a connection queues at most 2048 waiting replies by default). */
    private static final int CHUNK = 512;
    private long timer = -1;

    @Inject
    public ReaderLeases(ReactiveRedisDataSource redis, Vertx vertx, GatewayConfig config) {
        this.redis = redis;
        this.vertx = vertx;
        this.graceMs = config.resume().grace().toMillis();
    }

    void start(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(Math.max(100, graceMs / 3), id -> refresh());
    }

    @PreDestroy
    void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** The arguments of the {@code SET} that marks a job as read: for the publish script and the refresh batch. */
    public List<String> setArgs() {
        return List.of(holder, Long.toString(graceMs));
    }

    /** Holds the job's reader key from now on (refreshed with the others); the returned lease releases it. */
    public Lease hold(String jobId) {
        held.merge(jobId, 1, Integer::sum);
        return new Lease(jobId);
    }

    /** Sets the job's reader key now (a resumed relay: the key may have lapsed), then holds it. */
    public Uni<Lease> touchAndHold(String jobId) {
        return redis.value(String.class).psetex(RedisKeys.jobReader(jobId), graceMs, holder)
                .map(ignored -> hold(jobId));
    }

    public int size() {
        return held.size();
    }

    void refresh() {
        if (held.isEmpty()) {
            return;
        }
        // in batches of at most CHUNK commands: one connection pipelines a batch, and takes only so many at once
        List<Request> batch = new ArrayList<>(Math.min(CHUNK, held.size()));
        String px = Long.toString(graceMs);
        for (String jobId : held.keySet()) {
            batch.add(Request.cmd(Command.SET).arg(RedisKeys.jobReader(jobId)).arg(holder).arg("PX").arg(px));
            if (batch.size() == CHUNK) {
                send(batch);
                batch = new ArrayList<>(CHUNK);
            }
        }
        if (!batch.isEmpty()) {
            send(batch);
        }
    }

    private void send(List<Request> batch) {
        redis.getRedis().batch(batch).subscribe().with(ok -> {
        }, t -> LOG.warnf("refreshing %d reader keys failed: %s", batch.size(), t.getMessage()));
    }

    /** One relay's hold on a job's reader key. */
    public final class Lease {
        private final String jobId;
        private boolean released;

        private Lease(String jobId) {
            this.jobId = jobId;
        }

        /** Stops refreshing the key (for this relay): it lapses within the grace unless another relay holds it. */
        public void release() {
            if (!released) {
                released = true;
                held.computeIfPresent(jobId, (k, n) -> n == 1 ? null : n - 1);
            }
        }
    }
}
