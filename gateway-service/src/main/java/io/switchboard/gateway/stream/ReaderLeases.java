package io.switchboard.gateway.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.redis.RedisClientOptions;
import io.switchboard.schema.wire.RedisKeys;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;

/**
 * Keeps {@link RedisKeys#jobReader} present for every job whose stream this gateway relays: one pipelined batch of
 * {@code SET key PX grace} every grace/3 for all of them (never a round trip per token or per request). A relay that
 * ends releases its job; the key then lapses within the grace, and a worker cancels a running job whose reader has
 * been gone longer than that (unless a client resumed it meanwhile, here or on another replica).
 *
 * <p>The refresh has a Redis connection of its own (a client of one connection, on an event loop of its own), not
 * the gateway's pool: while the gateway admits a burst of requests that pool can have thousands of commands waiting
 * for a connection, and a refresh waiting behind them for longer than the grace lets the keys of streams still being
 * relayed lapse, so that workers cancel them. One refresh is in flight at a time; one still unanswered at the next tick
 * (grace/3 later: a whole refresh of 10,000 keys took at most 0.34 s on a busy 2-core machine) gives its connection
 * up (one dropped without a word, or a Redis that stopped answering) and starts afresh on a new one, while the keys
 * still have a third of the grace left.
 */
@ApplicationScoped
public class ReaderLeases {
    private static final Logger LOG = Logger.getLogger(ReaderLeases.class);
    /** Commands per refresh batch: one batch is pipelined on the connection and answered in one go. */
    static final int CHUNK = 1024;
    /** Batches that may wait for the connection at once (a refresh sends held/CHUNK of them): a million held jobs. */
    private static final int MAX_BATCHES = 1024;

    private final ReactiveRedisDataSource redis;
    private final Vertx vertx;
    private final RedisClientOptions options;
    private final long graceMs;
    /** The value of the reader keys this gateway holds: which replica relays the job (for operators). */
    private final String holder = "gateway-" + UUID.randomUUID();
    /** Job id → how many relays of this gateway hold it (a client may resume here before its old relay noticed). */
    private final Map<String, Integer> held = new ConcurrentHashMap<>();
    /** Where refreshes run and their answers arrive: every field below is used on it alone. */
    private final Context context;
    private final Timer refreshes;
    private final Counter failures;
    private final Counter givenUp;
    private Redis client;
    /** The refresh in flight: when it started (System.nanoTime), its batches still unanswered, and which one it is. */
    private long refreshStarted;
    private int unanswered;
    private long generation;
    private long timer = -1;

    @Inject
    public ReaderLeases(ReactiveRedisDataSource redis, Vertx vertx, GatewayConfig config, RedisClientOptions options,
            MeterRegistry registry) {
        this.redis = redis;
        this.vertx = vertx;
        this.options = options;
        this.graceMs = config.resume().grace().toMillis();
        this.context = ((VertxInternal) vertx).createEventLoopContext();
        Gauge.builder("switchboard.gateway.reader.leases", held, Map::size)
                .description("Jobs whose reader key this gateway keeps alive (the streams it relays)").register(registry);
        this.refreshes = Timer.builder("switchboard.gateway.reader.lease.refresh")
                .description("Time to refresh every held reader key (it must stay well under the resume grace)")
                .register(registry);
        this.failures = Counter.builder("switchboard.gateway.reader.lease.refresh.failures")
                .description("Batches of reader-key refreshes Redis failed or did not take (retried at the next refresh)")
                .register(registry);
        this.givenUp = Counter.builder("switchboard.gateway.reader.lease.refresh.given.up")
                .description("Refreshes still unanswered at the next one (a third of the resume grace): their connection "
                        + "was given up")
                .register(registry);
    }

    void start(@Observes StartupEvent event) {
        context.runOnContext(v -> timer = vertx.setPeriodic(Math.max(100, graceMs / 3), id -> refresh()));
    }

    @PreDestroy
    void stop() {
        context.runOnContext(v -> {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            if (client != null) {
                client.close();
                client = null;
            }
        });
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

    /** One refresh of every held key (on {@link #context}, from the timer). */
    void refresh() {
        if (unanswered > 0) {
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - refreshStarted);
            if (waited < graceMs / 3 - 50) {
                return; // a tick come early: the last one may still be answered in time
            }
            LOG.warnf("refreshing reader keys: %d batches unanswered after %d ms; taking a new Redis connection",
                    unanswered, waited);
            givenUp.increment();
            closeClient();
        }
        if (held.isEmpty()) {
            return;
        }
        if (client == null) {
            // the gateway's own Redis settings (hosts, credentials, TLS), one connection
            var own = options.copy();
            own.setNetClientOptions(new NetClientOptions(own.getNetClientOptions())
                    .setConnectTimeout((int) Math.max(100, graceMs / 3)));
            client = Redis.createClient(vertx, own.setMaxPoolSize(1).setMaxPoolWaiting(MAX_BATCHES)
                    .setMaxWaitingHandlers(2 * CHUNK));
        }
        List<List<Request>> batches = new ArrayList<>();
        List<Request> batch = new ArrayList<>(Math.min(CHUNK, held.size()));
        String px = Long.toString(graceMs);
        for (String jobId : held.keySet()) {
            batch.add(Request.cmd(Command.SET).arg(RedisKeys.jobReader(jobId)).arg(holder).arg("PX").arg(px));
            if (batch.size() == CHUNK) {
                batches.add(batch);
                batch = new ArrayList<>(CHUNK);
            }
        }
        if (!batch.isEmpty()) {
            batches.add(batch);
        }
        long refresh = ++generation;
        refreshStarted = System.nanoTime();
        unanswered = batches.size();
        for (List<Request> b : batches) {
            client.batch(b).onComplete(ar -> {
                if (refresh != generation) {
                    return; // given up on: its connection is closed
                }
                if (ar.failed()) {
                    failures.increment();
                    LOG.warnf("refreshing %d reader keys failed: %s", b.size(), ar.cause().getMessage());
                }
                if (--unanswered == 0) {
                    refreshes.record(System.nanoTime() - refreshStarted, TimeUnit.NANOSECONDS);
                }
            });
        }
    }

    private void closeClient() {
        generation++;
        unanswered = 0;
        if (client != null) {
            client.close();
            client = null;
        }
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
