package io.switchboard.worker.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.Wait;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/** The held, pipelined connections token streams are written on, against a real Redis. */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
class StreamConnectionsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Inject
    StreamConnections connections;
    @Inject
    RedisDataSource redis;
    @Inject
    MeterRegistry registry;

    @Test
    void manyJobsWritingAtOnceShareTheHeldConnectionsAndEveryWriteLandsInOrder() {
        int jobs = 200, each = 5;
        List<Uni<Response>> sends = new ArrayList<>();
        String prefix = "test:pipelined:" + System.nanoTime() + ":";
        for (int j = 0; j < jobs; j++) {
            for (int i = 0; i < each; i++) {
                sends.add(connections.send(prefix + j, Request.cmd(Command.RPUSH).arg(prefix + j).arg(i)));
            }
        }
        Uni.join().all(sends).andFailFast().await().atMost(WAIT);

        for (int j = 0; j < jobs; j++) {
            assertThat(redis.list(String.class).lrange(prefix + j, 0, -1)).containsExactly("0", "1", "2", "3", "4");
        }
        assertThat(gauge("switchboard.worker.stream.connections")).isBetween(1.0, 2.0); // 2 configured by default
        assertThat(gauge("switchboard.worker.stream.writes.in.flight")).isZero();
        java.util.Set<Long> used = new java.util.HashSet<>();
        for (int j = 0; j < jobs; j++) {
            used.add(clientId(prefix + j));
        }
        assertThat(used).as("the connections 200 jobs' writes went on").hasSizeBetween(1, 2);
    }

    @Test
    void anErrorAnswerFailsThatCommandAloneAndTheConnectionStays() {
        String key = "test:wrongtype:" + System.nanoTime();
        redis.value(String.class).set(key, "not a stream");
        long before = clientId(key);
        double opened = counter();

        assertThatThrownBy(() -> connections.send(key, Request.cmd(Command.XADD).arg(key).arg("*").arg("f").arg("v"))
                .await().atMost(WAIT)).hasMessageContaining("WRONGTYPE");

        assertThat(clientId(key)).isEqualTo(before);
        assertThat(counter()).isEqualTo(opened);
    }

    @Test
    void aConnectionRedisDropsIsReplacedAndTheNextWriteLands() {
        String key = "test:dropped:" + System.nanoTime();
        long killed = clientId(key);
        double opened = counter();

        redis.execute("CLIENT", "KILL", "ID", String.valueOf(killed));

        // a write racing the drop may fail (its writer tries again); the one after it goes on a new connection
        writeLands(key, "after");
        assertThat(redis.value(String.class).get(key)).isEqualTo("after");
        assertThat(clientId(key)).isNotEqualTo(killed);
        assertThat(counter()).isGreaterThan(opened);
    }

    @Test
    void aConnectionThatStopsAnsweringIsGivenUpItsWritesFailOnceAndTheNextWriteLands() {
        String key = "test:silent:" + System.nanoTime();
        long silent = clientId(key);
        double opened = counter();
        // Redis holds every write for 5 s: the command on the connection stays unanswered past the limit (3 s in tests)
        redis.execute("CLIENT", "PAUSE", "5000", "WRITE");
        long t0 = System.nanoTime();
        List<Object> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
        connections.send(key, Request.cmd(Command.SET).arg(key).arg("during"), (r, t) -> answers.add(t != null ? t : r));

        Wait.until(Duration.ofSeconds(10), "the write's answer", () -> !answers.isEmpty());
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(5000));
        assertThat(answers.get(0)).isInstanceOfSatisfying(Throwable.class,
                t -> assertThat(t).hasMessageContaining("unanswered"));
        assertThat(gauge("switchboard.worker.stream.writes.in.flight")).isZero();

        writeLands(key, "after"); // once Redis answers again
        assertThat(clientId(key)).isNotEqualTo(silent);
        assertThat(counter()).isGreaterThan(opened);
        // the given-up connection's client, once closed, failed the command again: its writer heard of it once
        assertThat(answers).hasSize(1);
    }

    /** Sets {@code key} to {@code value} through the connections, trying again until a write lands. */
    private void writeLands(String key, String value) {
        Wait.until(WAIT, "a write lands", () -> {
            try {
                connections.send(key, Request.cmd(Command.SET).arg(key).arg(value)).await().atMost(WAIT);
                return true;
            } catch (RuntimeException e) {
                return false;
            }
        });
    }

    /** The Redis client id of the connection {@code key}'s writes go on. */
    private long clientId(String key) {
        return connections.send(key, Request.cmd(Command.CLIENT).arg("ID")).await().atMost(WAIT).toLong();
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    private double counter() {
        return registry.get("switchboard.worker.stream.connections.opened").counter().count();
    }
}
