package io.switchboard.router.ha;

import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.redis.client.Response;
import io.switchboard.router.RouterConfig;
import io.switchboard.router.dispatch.RouterLoop;
import io.switchboard.schema.wire.RedisKeys;

/**
 * One router is active at a time: the holder of a lease in Redis ({@link RedisKeys#ROUTER_LEADER}, {@code SET NX PX}),
 * renewed every {@code lease-renew-interval} while it lives. A standby tries to take it as often; so when the active
 * router dies, another takes over within the lease's time to live. An active router that cannot renew (cut off from
 * Redis) steps down once its lease may have lapsed, before another can have taken over; and whatever its lease thread
 * is doing (blocked on a slow call), the router carries nothing out past the lease's validity
 * ({@link RouterLoop#leaseValidUntil}). On shutdown the lease is
 * given up at once. Gauge: {@code switchboard_router_leader} (1 on the active router).
 */
@ApplicationScoped
public class LeaderLease {
    private static final Logger LOG = Logger.getLogger(LeaderLease.class);

    /** KEYS: lease. ARGV: id, ttl ms. Renews the lease if this router holds it. */
    static final String RENEW = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
              return 1
            end
            return 0
            """;
    /** KEYS: lease. ARGV: id. Gives the lease up if this router holds it. */
    static final String RELEASE = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              return redis.call('DEL', KEYS[1])
            end
            return 0
            """;

    @Inject
    RedisDataSource redis;
    @Inject
    RouterConfig config;
    @Inject
    RouterLoop loop;

    private final AtomicInteger leader = new AtomicInteger();
    private String id;
    private volatile boolean running = true;
    private Thread thread;

    void start(@Observes StartupEvent ignored, MeterRegistry registry) {
        id = config.id().orElseGet(() -> "router-" + UUID.randomUUID().toString().substring(0, 8));
        loop.identify(id);
        Gauge.builder("switchboard_router_leader", leader, AtomicInteger::get)
                .description("1 while this router is the active one (holds the leader lease), 0 on a standby")
                .register(registry);
        thread = Thread.ofPlatform().name("leader-lease").daemon().start(this::run);
    }

    void stop(@Observes ShutdownEvent ignored) {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
        if (leader.get() == 1) {
            loop.demoted();
            try {
                redis.execute("EVAL", RELEASE, "1", RedisKeys.ROUTER_LEADER, id);
            } catch (RuntimeException e) {
                LOG.debugf("lease not released: %s", e.getMessage());
            }
        }
    }

    private void run() {
        long ttl = config.leaseTtl().toMillis();
        long interval = config.leaseRenewInterval().toMillis();
        long heldUntil = 0;
        while (running) {
            long now = System.currentTimeMillis();
            // measured before the call: the lease runs from when it was asked for, not from when Redis answered
            long started = System.nanoTime();
            try {
                if (leader.get() == 1) {
                    Response r = redis.execute("EVAL", RENEW, "1", RedisKeys.ROUTER_LEADER, id, String.valueOf(ttl));
                    if (r != null && r.toInteger() == 1) {
                        heldUntil = now + ttl;
                        loop.leaseValidUntil(started + TimeUnit.MILLISECONDS.toNanos(ttl - interval));
                    } else {
                        stepDown("another router holds the lease");
                    }
                } else {
                    Response r = redis.execute("SET", RedisKeys.ROUTER_LEADER, id, "NX", "PX", String.valueOf(ttl));
                    if (r != null) {
                        heldUntil = now + ttl;
                        loop.leaseValidUntil(started + TimeUnit.MILLISECONDS.toNanos(ttl - interval));
                        leader.set(1);
                        LOG.infof("router %s is now the active router", id);
                        loop.elected();
                    }
                }
            } catch (RuntimeException e) {
                LOG.warnf("leader lease: Redis did not answer: %s", e.getMessage());
            }
            // cut off from Redis: step down before the lease can have lapsed and another router taken over
            if (leader.get() == 1 && System.currentTimeMillis() > heldUntil - interval) {
                stepDown("the lease could not be renewed");
            }
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void stepDown(String why) {
        leader.set(0);
        LOG.warnf("router %s steps down: %s", id, why);
        loop.demoted();
    }

    public boolean isLeader() {
        return leader.get() == 1;
    }
}
