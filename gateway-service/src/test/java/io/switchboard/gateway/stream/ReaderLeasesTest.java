package io.switchboard.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.subscription.Cancellable;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.testing.InfraTestResource;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * The reader keys a gateway keeps alive for the streams it relays, against a real Redis, with the gateway's Redis pool
 * at 4 connections and the resume grace at 1.5 s (refreshed every 0.5 s). The test reads Redis through a client of its
 * own, so that what it sees never waits for the gateway's pool.
 */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
@TestProfile(ReaderLeasesTest.SmallPool.class)
class ReaderLeasesTest {

    public static class SmallPool implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.redis.max-pool-size", "4");
        }
    }

    private static final long GRACE_MS = 1500;

    @Inject
    ReaderLeases leases;
    @Inject
    ReactiveRedisDataSource pooled;
    @Inject
    MeterRegistry registry;
    @Inject
    Vertx vertx;
    @ConfigProperty(name = "quarkus.redis.hosts")
    String hosts;

    private Redis own;
    private final List<ReaderLeases.Lease> held = new ArrayList<>();

    @BeforeEach
    void connect() {
        own = Redis.createClient(vertx, hosts.split(",")[0]);
    }

    @AfterEach
    void close() {
        held.forEach(ReaderLeases.Lease::release);
        own.close();
    }

    private Response send(Request request) throws Exception {
        return own.send(request).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** A job as the gateway publishes it: its reader key set for the grace, then held by its relay. */
    private String published() throws Exception {
        String jobId = "lease-" + UUID.randomUUID();
        send(Request.cmd(Command.SET).arg(RedisKeys.jobReader(jobId)).arg("test").arg("PX").arg(GRACE_MS));
        held.add(leases.hold(jobId));
        return jobId;
    }

    private boolean present(String jobId) throws Exception {
        return send(Request.cmd(Command.EXISTS).arg(RedisKeys.jobReader(jobId))).toInteger() == 1;
    }

    private double counter(String name) {
        return registry.find(name).counter().count();
    }

    @Test
    void aHeldKeyOutlivesTheGraceAndLapsesWithinItOnceReleased() throws Exception {
        String jobId = published();
        long refreshesBefore = registry.find("switchboard.gateway.reader.lease.refresh").timer().count();
        for (int i = 0; i < 4; i++) { // 4 s: far past the 1.5 s the publish gave it
            Thread.sleep(1000);
            assertThat(present(jobId)).as("held key after %d s", i + 1).isTrue();
        }
        assertThat(registry.find("switchboard.gateway.reader.lease.refresh").timer().count())
                .isGreaterThan(refreshesBefore);
        held.remove(0).release();
        Thread.sleep(GRACE_MS + 600); // a refresh may have been on its way when it was released
        assertThat(present(jobId)).as("released key after the grace").isFalse();
    }

    @Test
    void heldKeysStayWhileEveryPooledConnectionIsBusyAndCommandsQueueForOne() throws Exception {
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            jobs.add(published());
        }
        // 4 blocking pops take the pool's 4 connections for 5 s, and 8 more wait behind them: a gateway whose pool is
        // swamped (a burst of requests on a busy machine) for more than three times the grace
        List<Cancellable> pops = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            pops.add(pooled.list(String.class).blpop(Duration.ofSeconds(5), "never-" + UUID.randomUUID())
                    .subscribe().with(x -> {
                    }, t -> {
                    }));
        }
        try {
            for (int i = 0; i < 4; i++) {
                Thread.sleep(1000);
                for (String jobId : jobs) {
                    assertThat(present(jobId)).as("%s after %d s of a swamped pool", jobId, i + 1).isTrue();
                }
            }
        } finally {
            pops.forEach(Cancellable::cancel);
        }
    }

    @Test
    void aRefreshUnansweredAtTheNextTickGivesItsConnectionUpWithinTheGraceAndTheNextOneLands() throws Exception {
        String jobId = published();
        double givenUpBefore = counter("switchboard.gateway.reader.lease.refresh.given.up");
        // Redis takes no write for 4 s (nor expires a key meanwhile): the refresh in flight stays unanswered
        send(Request.cmd(Command.CLIENT).arg("PAUSE").arg(4000).arg("WRITE"));
        long pausedAt = System.nanoTime();
        while (counter("switchboard.gateway.reader.lease.refresh.given.up") == givenUpBefore
                && System.nanoTime() - pausedAt < TimeUnit.SECONDS.toNanos(4)) {
            Thread.sleep(50);
        }
        assertThat(counter("switchboard.gateway.reader.lease.refresh.given.up")).isGreaterThan(givenUpBefore);
        // a refresh starts within a tick of the pause and is given up at the next: before a key refreshed just before
        // the pause would have lapsed (were Redis expiring keys meanwhile)
        assertThat(System.nanoTime() - pausedAt).as("given up within the grace")
                .isLessThan(TimeUnit.MILLISECONDS.toNanos(GRACE_MS));
        send(Request.cmd(Command.CLIENT).arg("UNPAUSE"));
        Thread.sleep(GRACE_MS); // the next refreshes, on a new connection
        long pttl = send(Request.cmd(Command.PTTL).arg(RedisKeys.jobReader(jobId))).toLong();
        assertThat(pttl).as("the key's time left after the pause").isGreaterThan(GRACE_MS / 3);
    }
}
