package io.switchboard.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.XAddArgs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.subscription.Cancellable;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.testing.InfraTestResource;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;

/**
 * The multiplexed stream reader against a real Redis. Reads here block for a minute ({@code stream-block=60s}), so
 * whatever a test sees within seconds was woken by the mechanism under test, not by a read timing out.
 */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
@TestProfile(StreamMultiplexerTest.LongBlock.class)
class StreamMultiplexerTest {

    public static class LongBlock implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("switchboard.gateway.stream-block", "60s", "switchboard.gateway.stream-readers", "2");
        }
    }

    @Inject
    StreamMultiplexer multiplexer;
    @Inject
    RedisDataSource redis;
    @Inject
    MeterRegistry registry;
    @Inject
    Vertx vertx;

    private static long far() {
        return System.currentTimeMillis() + 60_000;
    }

    private static String key() {
        return RedisKeys.jobStream("mux-" + UUID.randomUUID());
    }

    private String add(String key, String json) {
        return redis.stream(String.class).xadd(key, new XAddArgs(), Map.of(RedisKeys.EVENT_FIELD, json));
    }

    private CompletableFuture<List<StreamMultiplexer.Entry>> read(String key, String after, long deadlineMs) {
        return multiplexer.read(key, after, deadlineMs).subscribeAsCompletionStage();
    }

    private int redisClients() {
        String info = redis.execute("INFO", "clients").toString();
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("connected_clients:")) {
                return Integer.parseInt(line.substring("connected_clients:".length()).trim());
            }
        }
        throw new AssertionError("no connected_clients in " + info);
    }

    private double counter(String name) {
        var c = registry.find(name).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void fiveHundredOpenStreamsAreReadOverTheReadersConnectionsNotOneEach() throws Exception {
        List<String> keys = new ArrayList<>();
        List<CompletableFuture<List<StreamMultiplexer.Entry>>> reads = new ArrayList<>();
        int clientsBefore = redisClients();
        for (int i = 0; i < 500; i++) {
            String key = key();
            keys.add(key);
            reads.add(read(key, TokenStreamReader.START, far()));
        }
        Thread.sleep(300); // every read is waiting now
        // the readers' own (at most stream-readers=2) and whatever the pool opened for the wake-ups: not one each
        assertThat(redisClients() - clientsBefore).as("Redis connections added by 500 waiting streams")
                .isLessThan(10);
        assertThat(registry.find("switchboard.gateway.stream.reader.connections").gauge().value()).isEqualTo(2);
        assertThat(registry.find("switchboard.gateway.stream.waiters").gauge().value()).isGreaterThanOrEqualTo(500);

        List<String> ids = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            ids.add(add(keys.get(i), "{\"n\":" + i + "}"));
        }
        for (int i = 0; i < keys.size(); i++) {
            List<StreamMultiplexer.Entry> got = reads.get(i).get(10, TimeUnit.SECONDS);
            assertThat(got).containsExactly(new StreamMultiplexer.Entry(ids.get(i), "{\"n\":" + i + "}"));
        }
    }

    @Test
    void aReadAskedOnAnEventLoopIsTakenByAShardOfThatLoopWhenItHasOneAndAnsweredOnItsThread() throws Exception {
        VertxInternal vx = (VertxInternal) vertx;
        int loops = 0;
        for (var ignored : vx.getEventLoopGroup()) {
            loops++;
        }
        var shardLoops = multiplexer.shardLoops();
        double ownBefore = waits("own");
        double otherBefore = waits("other");
        int onShardLoops = 0;
        for (int i = 0; i < 2 * loops; i++) { // round robin: every event loop asks twice
            ContextInternal context = vx.createEventLoopContext();
            onShardLoops += shardLoops.contains(context.nettyEventLoop()) ? 1 : 0;
            String key = key();
            CompletableFuture<Thread> askedOn = new CompletableFuture<>();
            CompletableFuture<Thread> answeredOn = new CompletableFuture<>();
            context.runOnContext(v -> {
                askedOn.complete(Thread.currentThread());
                multiplexer.read(key, TokenStreamReader.START, far()).subscribe()
                        .with(entries -> answeredOn.complete(Thread.currentThread()), answeredOn::completeExceptionally);
            });
            Thread asker = askedOn.get(10, TimeUnit.SECONDS);
            add(key, "{\"i\":" + i + "}");
            assertThat(answeredOn.get(10, TimeUnit.SECONDS)).as("the thread the read was answered on").isSameAs(asker);
        }
        assertThat(multiplexer.answersOffLoop()).as("read answers that arrived off their shard's event loop, "
                + "whether the read was asked on an event loop or on a test's own thread").isZero();
        assertThat(onShardLoops).as("reads asked on a loop with a shard").isPositive();
        assertThat(waits("own") - ownBefore).as("reads taken by a shard of the asking loop").isEqualTo(onShardLoops);
        assertThat(waits("other") - otherBefore).as("reads taken by a shard of another loop")
                .isEqualTo(2 * loops - onShardLoops);
    }

    private double waits(String loop) {
        return registry.find("switchboard.gateway.stream.reader.waits").tag("loop", loop).counter().count();
    }

    @Test
    void aStreamThatStartsWaitingWhileTheReadIsBlockedWakesIt() throws Exception {
        String quiet = key();
        CompletableFuture<List<StreamMultiplexer.Entry>> waiting = read(quiet, TokenStreamReader.START, far());
        Thread.sleep(300); // the shard's reader is blocked on the quiet stream, for up to a minute
        double unblocksBefore = counter("switchboard.gateway.stream.reader.unblocks");

        String late = key();
        while (Math.floorMod(late.hashCode(), 2) != Math.floorMod(quiet.hashCode(), 2)) {
            late = key(); // the same shard (of stream-readers=2) as the blocked read
        }
        CompletableFuture<List<StreamMultiplexer.Entry>> lateRead = read(late, TokenStreamReader.START, far());
        String id = add(late, "{\"late\":true}");

        assertThat(lateRead.get(10, TimeUnit.SECONDS)).extracting(StreamMultiplexer.Entry::id).containsExactly(id);
        assertThat(counter("switchboard.gateway.stream.reader.unblocks")).isGreaterThan(unblocksBefore);
        assertThat(waiting).isNotDone();
        String quietId = add(quiet, "{\"quiet\":false}");
        assertThat(waiting.get(10, TimeUnit.SECONDS)).extracting(StreamMultiplexer.Entry::id).containsExactly(quietId);
    }

    @Test
    void twoReadersOfOneStreamEachGetWhatComesAfterTheirOwnCursor() throws Exception {
        String key = key();
        String first = add(key, "{\"i\":1}");
        String second = add(key, "{\"i\":2}");
        var fromStart = read(key, TokenStreamReader.START, far()).get(10, TimeUnit.SECONDS);
        var fromFirst = read(key, first, far()).get(10, TimeUnit.SECONDS);
        assertThat(fromStart).extracting(StreamMultiplexer.Entry::id).containsExactly(first, second);
        assertThat(fromFirst).extracting(StreamMultiplexer.Entry::id).containsExactly(second);

        // both waiting at the stream's end: one entry reaches both
        var a = read(key, second, far());
        var b = read(key, second, far());
        Thread.sleep(200);
        assertThat(a).isNotDone();
        String third = add(key, "{\"i\":3}");
        assertThat(a.get(10, TimeUnit.SECONDS)).extracting(StreamMultiplexer.Entry::id).containsExactly(third);
        assertThat(b.get(10, TimeUnit.SECONDS)).extracting(StreamMultiplexer.Entry::id).containsExactly(third);
    }

    @Test
    void aStreamWithNothingByItsDeadlineFailsWithATimeoutAndTheOthersKeepWaiting() throws Exception {
        String other = key();
        var otherRead = read(other, TokenStreamReader.START, far());
        var dueSoon = read(key(), TokenStreamReader.START, System.currentTimeMillis() + 400);

        assertThatThrownBy(() -> dueSoon.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(TimeoutException.class);
        assertThat(otherRead).isNotDone();
        String id = add(other, "{}");
        assertThat(otherRead.get(10, TimeUnit.SECONDS)).extracting(StreamMultiplexer.Entry::id).containsExactly(id);
    }

    @Test
    void aKeyRedisWillNotReadFailsItsOwnReadAfterTheRetriesAndNoOtherStream() throws Exception {
        String healthy = key();
        var healthyRead = read(healthy, TokenStreamReader.START, far());
        String broken = key();
        redis.value(String.class).set(broken, "not a stream");
        double errorsBefore = counter("switchboard.gateway.stream.read.errors");

        var brokenRead = read(broken, TokenStreamReader.START, far());

        assertThatThrownBy(() -> brokenRead.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasMessageContaining("WRONGTYPE");
        // the first try and the 3 retries (stream-read-retries)
        assertThat(counter("switchboard.gateway.stream.read.errors") - errorsBefore).isEqualTo(4);
        assertThat(healthyRead).isNotDone();
        String id = add(healthy, "{}");
        assertThat(healthyRead.get(10, TimeUnit.SECONDS)).extracting(StreamMultiplexer.Entry::id).containsExactly(id);
    }

    @Test
    void readersThatKeepAskingForTheNextEntriesWhileTheyArriveMissNoWakeUp() throws Exception {
        int streams = 256;
        int perStream = 20;
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            keys.add(key());
        }
        List<CompletableFuture<Integer>> readers = new ArrayList<>();
        for (String key : keys) {
            CompletableFuture<Integer> got = new CompletableFuture<>();
            follow(key, TokenStreamReader.START, 0, perStream, got);
            readers.add(got);
        }
        Thread writer = Thread.ofPlatform().start(() -> {
            for (int n = 0; n < perStream; n++) {
                for (String key : keys) {
                    add(key, "{\"n\":" + n + "}");
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        // reads block for a minute here: a wake-up missed anywhere would hold its reader that long
        long t0 = System.nanoTime();
        for (CompletableFuture<Integer> r : readers) {
            assertThat(r.get(20, TimeUnit.SECONDS)).isEqualTo(perStream);
        }
        System.out.printf("MUXTEST all read in %d ms, rounds %.0f unblocks %.0f%n", (System.nanoTime() - t0) / 1_000_000,
                counter("switchboard.gateway.stream.reader.rounds"), counter("switchboard.gateway.stream.reader.unblocks"));
        writer.join();
    }

    /** Reads {@code key} from {@code after} on, as a relay does: the next read as soon as one answered. */
    private void follow(String key, String after, int seen, int want, CompletableFuture<Integer> done) {
        multiplexer.read(key, after, far()).subscribe().with(entries -> {
            int total = seen + entries.size();
            if (total >= want) {
                done.complete(total);
            } else {
                follow(key, entries.get(entries.size() - 1).id(), total, want, done);
            }
        }, done::completeExceptionally);
    }

    @Test
    void aCancelledReadStopsWaiting() throws Exception {
        double waitingBefore = registry.find("switchboard.gateway.stream.waiters").gauge().value();
        Cancellable read = multiplexer.read(key(), TokenStreamReader.START, far()).subscribe().with(e -> {
            throw new AssertionError("a cancelled read got " + e);
        });
        Thread.sleep(100);
        assertThat(registry.find("switchboard.gateway.stream.waiters").gauge().value()).isEqualTo(waitingBefore + 1);
        read.cancel();
        assertThat(registry.find("switchboard.gateway.stream.waiters").gauge().value()).isEqualTo(waitingBefore);
    }
}
