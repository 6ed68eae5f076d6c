package io.switchboard.gateway.stream;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoop;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.metrics.ReliabilityMetrics;
import io.switchboard.gateway.redis.RedisClientOptions;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * Waits on many job streams over a few Redis connections: every relay's "entries after this id, until this deadline"
 * is a waiter, and each of {@code stream-readers} shards (streams spread by key hash) runs one loop on a connection
 * of its own: {@code XREAD COUNT 512 BLOCK t STREAMS k1..kn id1..idn} over the keys its waiters wait on, then hands
 * each waiter what came for it. So an open stream costs a map entry, not a Redis connection, and an idle one costs
 * nothing on the wire. What comes for a waiter is handed over on the Vert.x context it was asked from.
 *
 * <p>Each shard lives on one event loop (a context of its own, a Redis client of one connection made there), and a
 * waiter asked from an event loop goes to a shard of that loop (by key hash among them): the read's answer, the
 * relay's write to its client and its next wait then run on one thread, with no hand-over to another event loop per
 * token. A waiter asked from elsewhere (or from a loop without a shard) goes to a shard by key hash among all.
 *
 * <p>A waiter that arrives while its shard's read is blocked wakes the read with {@code CLIENT UNBLOCK} (at most one
 * in flight per read; if it reached Redis before the read did, it is sent again a millisecond later until the read
 * returns), so the next read includes it. A read blocks at most {@code stream-block}, and never past the earliest
 * deadline; a waiter with nothing by its deadline fails with {@link TimeoutException}.
 *
 * <p>A read that fails counts as a failed try for its waiters, each tried again {@code stream-read-retries} times
 * with backoff, then failed with the error; a shard whose connection broke reconnects with backoff meanwhile. One key
 * Redis will not read (a key that is not a stream) fails the whole command: then the read's keys are read apart,
 * halving the set until the culprit is alone, so no other stream of the shard sees its error.
 */
@ApplicationScoped
public class StreamMultiplexer {
    private static final Logger LOG = Logger.getLogger(StreamMultiplexer.class);
    private static final int BATCH = 512;
    private static final long MAX_BACKOFF_MS = 1000;
    /** How long a wake-up waits for more streams to start waiting, so that a burst of them costs one read. */
    private static final long UNBLOCK_DELAY_MS = 1;
    /** How far past its deadline a waiter is failed by the sweep if no read ended it. */
    private static final long SWEEP_GRACE_MS = 1000;
    /** How long past its block time a read may stay unanswered before its connection is dropped. */
    private static final long STUCK_MS = 5000;
    /** How long the next read waits for the streams the last read answered to ask again. */
    private static final long GATHER_MS = 1;

    /** One entry of a job stream: its id and the event's JSON (null when the entry has no event field). */
    public record Entry(String id, String json) {
    }

    private final Redis redis;
    private final Vertx vertx;
    private final ReliabilityMetrics metrics;
    private final long blockMs;
    private final int retries;
    private final long backoffMs;
    private final Shard[] shards;
    /** The shards of each event loop that has some. */
    private final Map<EventLoop, Shard[]> byLoop = new HashMap<>();
    private final RedisClientOptions options;
    private final Counter ownLoop;
    private final Counter otherLoop;
    private final AtomicInteger waiters = new AtomicInteger();
    /** Read answers that arrived on another thread than their shard's event loop (none, by design): for the tests. */
    private final AtomicLong answersOffLoop = new AtomicLong();
    private final Counter rounds;
    private final Counter unblocks;
    private final Counter isolatedReads;
    private volatile boolean closed;
    private final long sweeper;
    private static final long SWEEP_EVERY_MS = 500;

    @Inject
    public StreamMultiplexer(ReactiveRedisDataSource redis, Vertx vertx, GatewayConfig config,
            ReliabilityMetrics metrics, RedisClientOptions options, MeterRegistry registry) {
        this.redis = redis.getRedis().getDelegate();
        this.vertx = vertx;
        this.options = options;
        this.metrics = metrics;
        this.blockMs = Math.max(1, config.streamBlock().toMillis());
        this.retries = config.streamReadRetries();
        this.backoffMs = Math.max(1, config.streamReadBackoff().toMillis());
        this.shards = new Shard[Math.max(1, config.streamReaders())];
        Map<EventLoop, List<Shard>> loops = new HashMap<>();
        for (int i = 0; i < shards.length; i++) {
            // a context on the next event loop of Vert.x's group (round robin): the shards spread over the loops
            shards[i] = new Shard(i, (ContextInternal) ((VertxInternal) vertx).createEventLoopContext());
            loops.computeIfAbsent(shards[i].context.nettyEventLoop(), l -> new ArrayList<>()).add(shards[i]);
        }
        loops.forEach((loop, list) -> byLoop.put(loop, list.toArray(Shard[]::new)));
        this.sweeper = vertx.setPeriodic(SWEEP_EVERY_MS, id -> {
            for (Shard s : shards) {
                s.sweep();
            }
        });
        Gauge.builder("switchboard.gateway.stream.waiters", waiters, AtomicInteger::get)
                .description("Relays waiting for their job stream's next entries (all multiplexed)").register(registry);
        Gauge.builder("switchboard.gateway.stream.reader.connections", this, StreamMultiplexer::connected)
                .description("Redis connections the multiplexed stream readers hold").register(registry);
        this.rounds = Counter.builder("switchboard.gateway.stream.reader.rounds")
                .description("Multiplexed XREADs sent (each reads every stream its shard waits on)").register(registry);
        this.unblocks = Counter.builder("switchboard.gateway.stream.reader.unblocks")
                .description("Blocked XREADs woken (CLIENT UNBLOCK) to take in a newly waiting stream")
                .register(registry);
        this.ownLoop = waits(registry, "own");
        this.otherLoop = waits(registry, "other");
        this.isolatedReads = Counter.builder("switchboard.gateway.stream.reader.isolated")
                .description("Reads of part of a shard's streams after Redis answered its XREAD with an error").register(registry);
    }

    /**
     * The entries of {@code key} after {@code after} (at most {@value #BATCH}), as soon as there are some; a
     * {@link TimeoutException} if none came by {@code deadlineMs}. Completes on the caller's Vert.x context;
     * cancelling the subscription stops the wait.
     */
    public Uni<List<Entry>> read(String key, String after, long deadlineMs) {
        if (!validId(after)) {
            return Uni.createFrom().failure(new IllegalArgumentException("not a stream entry id: " + after));
        }
        return Uni.createFrom().emitter(emitter -> {
            Context context = Vertx.currentContext();
            Shard shard = shardFor(key, context);
            Waiter w = new Waiter(key, after, deadlineMs, context, emitter);
            emitter.onTermination(() -> shard.remove(w));
            shard.add(w);
        });
    }

    private static Counter waits(MeterRegistry registry, String loop) {
        return Counter.builder("switchboard.gateway.stream.reader.waits").tag("loop", loop)
                .description("Waits on a job stream taken by a shard of the asking event loop (answered on that thread) "
                        + "or by one of another loop (answered through a hand-over)").register(registry);
    }

    /** A shard of the event loop of {@code context} when it has some, else any (both by {@code key}'s hash). */
    private Shard shardFor(String key, Context context) {
        Shard[] local = context instanceof ContextInternal c && c.nettyEventLoop() != null && c.nettyEventLoop().inEventLoop()
                ? byLoop.get(c.nettyEventLoop()) : null;
        if (local != null) {
            ownLoop.increment();
            return local[Math.floorMod(key.hashCode(), local.length)];
        }
        otherLoop.increment();
        return shards[Math.floorMod(key.hashCode(), shards.length)];
    }

    /** How many read answers arrived off their shard's event loop. */
    long answersOffLoop() {
        return answersOffLoop.get();
    }

    /** The event loops the shards live on. */
    Set<EventLoop> shardLoops() {
        return Set.copyOf(byLoop.keySet());
    }

    private int connected() {
        int n = 0;
        for (Shard s : shards) {
            n += s.connection() != null ? 1 : 0;
        }
        return n;
    }

    /**
     * Shutting down, after the drain ({@code ShutdownDrain}, priority 1, blocks until the answers ended): no more
     * reads or reconnections, as the Redis client closes before this bean is destroyed.
     */
    void stopping(@Observes @Priority(100) ShutdownEvent ignored) {
        closed = true;
    }

    @PreDestroy
    void close() {
        closed = true;
        vertx.cancelTimer(sweeper);
        for (Shard s : shards) {
            s.close();
        }
    }

    private static final class Waiter {
        final String key;
        final String after;
        final long deadlineMs;
        final Context context;
        final UniEmitter<? super List<Entry>> emitter;
        int failures;
        long retryAtMs;
        /** Removed (answered, failed or cancelled): a cancel that came before the add keeps it from being added. */
        boolean removed;

        Waiter(String key, String after, long deadlineMs, Context context, UniEmitter<? super List<Entry>> emitter) {
            this.key = key;
            this.after = after;
            this.deadlineMs = deadlineMs;
            this.context = context;
            this.emitter = emitter;
        }
    }

    /** What one read asked for: each key from which cursor, and whether an unblock for it is on its way. */
    private static final class Round {
        final Map<String, String> cursors;
        final long startedMs = System.currentTimeMillis();
        RedisConnection connection;
        boolean unblocking;
        /** Answered or failed already: a later outcome (a stuck read's, once its connection is closed) is ignored. */
        boolean settled;

        Round(Map<String, String> cursors) {
            this.cursors = cursors;
        }

        /** Whether this read brings what {@code w} waits for: its key, from no later than its cursor. */
        boolean covers(Waiter w) {
            String cursor = cursors.get(w.key);
            return cursor != null && compareIds(cursor, w.after) <= 0;
        }
    }

    /** One shard: its waiters by key, its connection, the read in flight. Every field is guarded by the shard. */
    private final class Shard {
        final int index;
        /** Where the shard's connection lives, its answers arrive and its timers run. */
        final ContextInternal context;
        /** The shard's own client (one connection), made on its context. */
        Redis client;
        final Map<String, List<Waiter>> waiting = new HashMap<>();
        /** Keys being read alone after a failed round, until their read answers. */
        final Map<String, Boolean> isolated = new HashMap<>();
        RedisConnection connection;
        String clientId;
        boolean connecting;
        int connectFailures;
        Round inFlight;
        long wakeTimer = -1;
        long wakeAtMs;
        /** Set while the next read waits after one that answered streams ({@link #gather}). */
        long gatherTimer = -1;

        Shard(int index, ContextInternal context) {
            this.index = index;
            this.context = context;
        }

        synchronized RedisConnection connection() {
            return connection;
        }

        void add(Waiter w) {
            boolean wake;
            synchronized (this) {
                if (w.removed) {
                    return; // cancelled before it could wait
                }
                waiting.computeIfAbsent(w.key, k -> new ArrayList<>(1)).add(w);
                waiters.incrementAndGet();
                wake = inFlight != null && !inFlight.covers(w) && !isolated.containsKey(w.key);
            }
            if (wake) {
                wake();
            } else {
                kick();
            }
        }

        synchronized void remove(Waiter w) {
            w.removed = true;
            List<Waiter> list = waiting.get(w.key);
            if (list != null && list.remove(w)) {
                waiters.decrementAndGet();
                if (list.isEmpty()) {
                    waiting.remove(w.key);
                }
            }
        }

        /** Moves the loop along: connects, or starts the next read if none is in flight. */
        void kick() {
            Request read = null;
            Round round = null;
            synchronized (this) {
                if (closed || waiting.isEmpty()) {
                    return;
                }
                if (connection == null) {
                    connect();
                    return;
                }
                if (inFlight == null && gatherTimer < 0) {
                    read = nextRound();
                    round = inFlight;
                }
            }
            if (read != null) {
                send(read, round);
            }
        }

        /**
         * After a read that answered streams, the next waits {@value #GATHER_MS} ms: the answered streams ask again
         * meanwhile (their relays wrote what they got), and what else arrived is taken by the same read. Without it a
         * busy shard would read once per arriving entry, each read over every stream it waits on; with it a shard
         * reads at most about a thousand times a second, however many entries arrive. Only the entries that follow a
         * stream's first wait this long: the read that waits for a first entry is blocked when it arrives.
         */
        private void gather(List<String> answered) {
            if (!answered.isEmpty() && gatherTimer < 0) {
                gatherTimer = context.setTimer(GATHER_MS, id -> {
                    synchronized (this) {
                        gatherTimer = -1;
                    }
                    kick();
                });
            }
        }

        private void endGather() {
            if (gatherTimer >= 0) {
                vertx.cancelTimer(gatherTimer);
                gatherTimer = -1;
            }
        }

        /** Like {@link #kick()}, and wakes the read in flight (which lacks a key that is waiting now). */
        void wake() {
            boolean unblock = false;
            synchronized (this) {
                if (inFlight != null && !inFlight.unblocking && clientId != null) {
                    inFlight.unblocking = true;
                    unblock = true;
                }
            }
            if (unblock) {
                // a moment later: the streams that start waiting meanwhile take the same wake-up and the same read
                context.setTimer(UNBLOCK_DELAY_MS, t -> unblock());
            } else {
                kick();
            }
        }

        /** The next XREAD over every readable key (from the earliest cursor among its waiters), or null: none. */
        private Request nextRound() {
            long now = System.currentTimeMillis();
            Map<String, String> cursors = new HashMap<>();
            long wakeAt = now + blockMs;
            for (Map.Entry<String, List<Waiter>> e : waiting.entrySet()) {
                if (isolated.containsKey(e.getKey())) {
                    continue;
                }
                for (Waiter w : e.getValue()) {
                    wakeAt = Math.min(wakeAt, w.retryAtMs > now ? w.retryAtMs : w.deadlineMs);
                }
                String cursor = earliestCursor(e.getValue(), now);
                if (cursor != null) {
                    cursors.put(e.getKey(), cursor);
                }
            }
            if (cursors.isEmpty()) {
                scheduleWake(wakeAt - now);
                return null;
            }
            Request xread = Request.cmd(Command.XREAD).arg("COUNT").arg(BATCH);
            long block = wakeAt - now;
            if (block > 0) {
                xread.arg("BLOCK").arg(block); // never BLOCK 0: that is forever
            }
            xread.arg("STREAMS");
            List<String> ids = new ArrayList<>(cursors.size());
            cursors.forEach((key, id) -> {
                xread.arg(key);
                ids.add(id);
            });
            ids.forEach(xread::arg);
            inFlight = new Round(cursors);
            return xread;
        }

        /** With nothing readable now (every waiter backing off or read alone), kick again later. */
        private void scheduleWake(long delayMs) {
            long at = System.currentTimeMillis() + Math.max(1, delayMs);
            if (wakeTimer >= 0 && wakeAtMs > at) {
                vertx.cancelTimer(wakeTimer);
                wakeTimer = -1;
            }
            if (wakeTimer < 0) {
                wakeAtMs = at;
                wakeTimer = context.setTimer(Math.max(1, delayMs), id -> {
                    synchronized (this) {
                        wakeTimer = -1;
                    }
                    kick();
                });
            }
        }

        private void send(Request xread, Round round) {
            RedisConnection c;
            synchronized (this) {
                c = connection;
            }
            if (c == null) { // lost meanwhile
                failed(round, new IllegalStateException("stream reader connection lost"));
                return;
            }
            rounds.increment();
            round.connection = c;
            if (context.nettyEventLoop().inEventLoop()) {
                sendOn(c, xread, round);
            } else { // sent from the shard's loop, its answer arrives there (a command answers on its sender's context)
                context.runOnContext(v -> sendOn(c, xread, round));
            }
        }

        private void sendOn(RedisConnection c, Request xread, Round round) {
            c.send(xread).onComplete(ar -> {
                if (!context.nettyEventLoop().inEventLoop()) {
                    answersOffLoop.incrementAndGet();
                }
                ReadOutcome read = ReadOutcome.of(ar);
                if (read.byKey() != null) {
                    answered(round, read.byKey());
                } else {
                    failed(round, read.failure());
                }
            });
        }

        private void answered(Round round, Map<String, List<Entry>> byKey) {
            List<Runnable> hand = new ArrayList<>();
            try {
                synchronized (this) {
                    if (round.settled) {
                        return;
                    }
                    round.settled = true;
                    if (inFlight == round) {
                        inFlight = null;
                    }
                    gather(deliver(round.cursors, byKey, hand));
                }
            } finally {
                hand.forEach(Runnable::run);
                kick();
            }
        }

        /**
         * Hands each waiter the read covered (its key, read from no later than its cursor) what came after its
         * cursor, and ends those of them past their deadline with nothing.
         */
        private List<String> deliver(Map<String, String> cursors, Map<String, List<Entry>> byKey,
                List<Runnable> hand) {
            long now = System.currentTimeMillis();
            List<String> answered = new ArrayList<>();
            for (Map.Entry<String, String> read : cursors.entrySet()) {
                String key = read.getKey();
                List<Waiter> list = waiting.get(key);
                if (list == null) {
                    continue;
                }
                List<Entry> entries = byKey.getOrDefault(key, List.of());
                for (Iterator<Waiter> it = list.iterator(); it.hasNext();) {
                    Waiter w = it.next();
                    if (compareIds(read.getValue(), w.after) > 0) {
                        continue; // came after the read was sent, from an earlier entry: the next read has it
                    }
                    w.failures = 0;
                    w.retryAtMs = 0;
                    List<Entry> mine = after(entries, w.after);
                    if (!mine.isEmpty()) {
                        it.remove();
                        waiters.decrementAndGet();
                        answered.add(key);
                        hand.add(() -> complete(w, mine));
                    } else if (w.deadlineMs <= now) {
                        it.remove();
                        waiters.decrementAndGet();
                        hand.add(() -> timedOut(w));
                    }
                }
                if (list.isEmpty()) {
                    waiting.remove(key);
                }
            }
            return answered;
        }

        /**
         * A read failed. If its connection broke, each of its waiters backs off (or fails, out of retries) while the
         * shard reconnects; if Redis answered an error (one key it will not read fails the whole command), the keys
         * are read apart ({@link #readApart}), so that only the culprit's waiters see the error.
         */
        private void failed(Round round, Throwable cause) {
            List<String> alone = new ArrayList<>();
            List<Runnable> hand = new ArrayList<>();
            try {
                synchronized (this) {
                    if (round.settled) {
                        return;
                    }
                    round.settled = true;
                    if (inFlight == round) {
                        inFlight = null;
                    }
                    if (wrongType(cause)) {
                        for (String key : round.cursors.keySet()) {
                            if (waiting.containsKey(key) && isolated.putIfAbsent(key, Boolean.TRUE) == null) {
                                alone.add(key);
                            }
                        }
                    } else {
                        if (broken(cause) && connection != null && connection == round.connection) {
                            drop();
                        }
                        readFailed(round.cursors.keySet(), cause, hand);
                    }
                }
                LOG.debugf("stream reader %d: a read of %d streams failed (%s)", index, round.cursors.size(),
                        cause.toString());
            } finally {
                hand.forEach(Runnable::run);
                if (!alone.isEmpty()) {
                    readApart(alone);
                }
                kick();
            }
        }

        /**
         * Fails the waiters long past their deadline, whatever became of the reads (a read that never answers, a
         * connection that never comes), and gives up on a read that has been out far longer than it may block.
         */
        void sweep() {
            List<Runnable> hand = new ArrayList<>();
            Round stuck = null;
            synchronized (this) {
                long now = System.currentTimeMillis();
                for (Iterator<Map.Entry<String, List<Waiter>>> keys = waiting.entrySet().iterator(); keys.hasNext();) {
                    List<Waiter> list = keys.next().getValue();
                    for (Iterator<Waiter> it = list.iterator(); it.hasNext();) {
                        Waiter w = it.next();
                        if (w.deadlineMs + SWEEP_GRACE_MS < now) {
                            it.remove();
                            waiters.decrementAndGet();
                            hand.add(() -> timedOut(w));
                        }
                    }
                    if (list.isEmpty()) {
                        keys.remove();
                    }
                }
                if (inFlight != null && inFlight.connection == connection && connection != null
                        && now - inFlight.startedMs > blockMs + STUCK_MS) {
                    LOG.warnf("stream reader %d: a read has not answered for %d ms; reconnecting", index,
                            now - inFlight.startedMs);
                    stuck = inFlight; // if it answers meanwhile, it is settled and this failure is ignored
                }
            }
            hand.forEach(Runnable::run);
            if (stuck != null) {
                failed(stuck, new java.io.IOException("stream read unanswered; reconnecting"));
            }
        }

        /**
         * After Redis answered a read with an error: reads {@code keys} (non-blocking, through the pool), halving the
         * set each time a read fails, until the keys that fail are read alone; the others get their entries.
         */
        private void readApart(List<String> keys) {
            Map<String, String> cursors = new HashMap<>();
            synchronized (this) {
                for (String key : keys) {
                    String cursor = earliestCursor(waiting.getOrDefault(key, List.of()), Long.MAX_VALUE);
                    if (cursor == null) {
                        isolated.remove(key);
                    } else {
                        cursors.put(key, cursor);
                    }
                }
            }
            if (cursors.isEmpty()) {
                return;
            }
            isolatedReads.increment();
            Request xread = Request.cmd(Command.XREAD).arg("COUNT").arg(BATCH).arg("STREAMS");
            List<String> part = new ArrayList<>(cursors.keySet());
            part.forEach(xread::arg);
            part.forEach(key -> xread.arg(cursors.get(key)));
            redis.send(xread).onComplete(ar -> {
                ReadOutcome read = ReadOutcome.of(ar);
                Map<String, List<Entry>> byKey = read.byKey();
                Throwable failure = read.failure();
                if (byKey == null && part.size() > 1 && wrongType(failure)) {
                    readApart(part.subList(0, part.size() / 2));
                    readApart(part.subList(part.size() / 2, part.size()));
                    return;
                }
                List<Runnable> hand = new ArrayList<>();
                try {
                    synchronized (this) {
                        part.forEach(isolated::remove);
                        if (byKey != null) {
                            deliver(cursors, byKey, hand);
                        } else {
                            readFailed(part, failure, hand);
                        }
                    }
                } finally {
                    hand.forEach(Runnable::run);
                    wake(); // these keys are readable again: the read in flight lacks them
                }
            });
        }

        /** The waiters of {@code keys} read and failed: each backs off, or fails once out of retries. */
        private void readFailed(java.util.Collection<String> keys, Throwable cause, List<Runnable> hand) {
            long now = System.currentTimeMillis();
            for (String key : keys) {
                List<Waiter> list = waiting.get(key);
                if (list == null) {
                    continue;
                }
                for (Iterator<Waiter> it = list.iterator(); it.hasNext();) {
                    Waiter w = it.next();
                    metrics.readError();
                    w.failures++;
                    if (w.failures > retries) {
                        it.remove();
                        waiters.decrementAndGet();
                        metrics.readFailure();
                        hand.add(() -> fail(w, cause));
                    } else {
                        w.retryAtMs = now + Math.min(MAX_BACKOFF_MS, backoffMs << (w.failures - 1));
                    }
                }
                if (list.isEmpty()) {
                    waiting.remove(key);
                }
            }
        }

        private void unblock() {
            String id;
            Round round;
            synchronized (this) {
                id = clientId;
                round = inFlight;
            }
            if (round == null || id == null) {
                kick();
                return;
            }
            unblocks.increment();
            redis.send(Request.cmd(Command.CLIENT).arg("UNBLOCK").arg(id)).onComplete(ar -> {
                boolean again;
                synchronized (this) {
                    // 0: the read was not blocked (not yet, or no longer); while it is in flight, try again shortly
                    // (1 ms); a failed unblock is tried again after a backoff: the read ends by its block time anyway
                    again = inFlight == round;
                    if (again) {
                        round.unblocking = false;
                    }
                }
                if (ar.failed()) {
                    LOG.debugf("stream reader %d: CLIENT UNBLOCK failed: %s", index, ar.cause().toString());
                }
                boolean notBlocked = ar.succeeded() && (ar.result() == null || ar.result().toInteger() == 0);
                if (again && (notBlocked || ar.failed())) {
                    context.setTimer(ar.failed() ? backoffMs : 1, t -> wake());
                }
            });
        }

        /**
         * Takes a connection of its own (a client of one connection, the gateway's Redis settings, made on the shard's
         * context so that its answers arrive on the shard's event loop) and learns its client id, for CLIENT UNBLOCK.
         */
        private void connect() {
            if (connecting) {
                return;
            }
            connecting = true;
            context.runOnContext(v -> open());
        }

        /**
         * On the shard's context: a Redis client's event loop is the context it was made on, and its connection's
         * with it.
         */
        private void open() {
            Redis made;
            try {
                made = Redis.createClient(vertx, options.copy().setMaxPoolSize(1).setMaxPoolWaiting(1));
            } catch (RuntimeException e) {
                synchronized (this) {
                    connecting = false;
                    connectFailures++;
                }
                LOG.warnf("stream reader %d: no Redis client: %s", index, e.toString());
                reconnectLater(e);
                return;
            }
            synchronized (this) {
                client = made;
            }
            made.connect()
                    .compose(c -> c.send(Request.cmd(Command.CLIENT).arg("ID")).map(id -> {
                        synchronized (this) {
                            if (closed || client != made) { // shutting down, or given up meanwhile
                                throw new IllegalStateException("stream reader " + index + " closed");
                            }
                            connection = c;
                            clientId = id.toString();
                        }
                        c.exceptionHandler(t -> lost(c, t));
                        c.endHandler(end -> lost(c, null));
                        return c;
                    }))
                    .onComplete(ar -> {
                        boolean stop;
                        boolean mine;
                        synchronized (this) {
                            connecting = false;
                            connectFailures = ar.succeeded() ? 0 : connectFailures + 1;
                            mine = client == made; // else drop() took it, and closed it
                            if (ar.failed() && mine) {
                                client = null;
                            }
                            stop = closed;
                        }
                        if (ar.succeeded()) {
                            kick();
                            return;
                        }
                        if (mine) {
                            made.close();
                        }
                        if (!stop) {
                            LOG.warnf("stream reader %d: connecting to Redis failed: %s", index, ar.cause().toString());
                            reconnectLater(ar.cause());
                        }
                    });
        }

        /** Connecting failed: every waiter counts a failed read (failing once out of retries); retry after a backoff. */
        private void reconnectLater(Throwable cause) {
            long delay;
            List<Runnable> hand = new ArrayList<>();
            synchronized (this) {
                delay = Math.min(MAX_BACKOFF_MS, backoffMs << Math.min(10, Math.max(0, connectFailures - 1)));
                readFailed(List.copyOf(waiting.keySet()), cause, hand);
            }
            hand.forEach(Runnable::run);
            context.setTimer(delay, t -> kick());
        }

        private void lost(RedisConnection c, Throwable t) {
            synchronized (this) {
                if (connection != c || closed) {
                    return;
                }
                LOG.warnf("stream reader %d: Redis connection lost%s", index, t == null ? "" : ": " + t);
                drop();
            }
            kick();
        }

        /**
         * Gives the connection up (it broke, ended, or a read on it never answered): its client is closed on the
         * shard's context, failing a read still pending on it (whose round was settled already: see {@link #send}); the
         * next read takes a new one.
         */
        private void drop() {
            connection = null;
            clientId = null;
            Redis old = client;
            client = null;
            if (old != null) {
                context.runOnContext(v -> old.close());
            }
        }

        void close() {
            List<Waiter> left = new ArrayList<>();
            synchronized (this) {
                drop();
                endGather();
                waiting.values().forEach(left::addAll);
                waiting.clear();
            }
            IllegalStateException gone = new IllegalStateException("the gateway is shutting down");
            left.forEach(w -> fail(w, gone));
            if (wakeTimer >= 0) {
                vertx.cancelTimer(wakeTimer);
            }
        }
    }

    /**
     * Whether a read's failure means its connection is no longer usable: anything but an error reply from Redis, and
     * the error Vert.x fails pending commands with when the socket ended ({@code CONNECTION_CLOSED}).
     */
    private static boolean broken(Throwable cause) {
        if (!(cause instanceof io.vertx.redis.client.impl.types.ErrorType)) {
            return true;
        }
        String m = cause.getMessage() == null ? "" : cause.getMessage();
        return m.startsWith("CONNECTION_CLOSED") || m.contains("Connection is closed");
    }

    /** A key that is not a stream: it fails the whole XREAD, so the keys are read apart to find it. */
    private static boolean wrongType(Throwable cause) {
        return cause instanceof io.vertx.redis.client.impl.types.ErrorType && cause.getMessage() != null
                && cause.getMessage().startsWith("WRONGTYPE");
    }

    private static void complete(Waiter w, List<Entry> entries) {
        if (w.context != null) {
            w.context.runOnContext(v -> w.emitter.complete(entries));
        } else {
            w.emitter.complete(entries);
        }
    }

    private static void fail(Waiter w, Throwable t) {
        if (w.context != null) {
            w.context.runOnContext(v -> w.emitter.fail(t));
        } else {
            w.emitter.fail(t);
        }
    }

    /** The entries with an id above {@code cursor} (the read was from the earliest cursor of the key's waiters). */
    private static List<Entry> after(List<Entry> entries, String cursor) {
        int i = 0;
        while (i < entries.size() && compareIds(entries.get(i).id(), cursor) <= 0) {
            i++;
        }
        return i == 0 ? entries : entries.subList(i, entries.size());
    }

    /** XREAD's answer by key: a RESP3 map or a RESP2 array of [key, entries]; null (timed out, woken): nothing. */
    static Map<String, List<Entry>> parse(Response reply) {
        if (reply == null) {
            return Map.of();
        }
        Map<String, List<Entry>> byKey = new HashMap<>();
        if (reply.isMap()) {
            for (String key : reply.getKeys()) {
                byKey.put(key, entries(reply.get(key)));
            }
        } else {
            for (Response stream : reply) {
                byKey.put(stream.get(0).toString(), entries(stream.get(1)));
            }
        }
        return byKey;
    }

    private static List<Entry> entries(Response list) {
        List<Entry> entries = new ArrayList<>(list.size());
        for (Response entry : list) {
            entries.add(new Entry(entry.get(0).toString(), field(entry.get(1))));
        }
        return entries;
    }

    private static String field(Response fields) {
        if (fields == null) {
            return null;
        }
        if (fields.isMap()) {
            Response v = fields.get(io.switchboard.schema.wire.RedisKeys.EVENT_FIELD);
            return v == null ? null : v.toString();
        }
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            if (io.switchboard.schema.wire.RedisKeys.EVENT_FIELD.equals(fields.get(i).toString())) {
                return fields.get(i + 1).toString();
            }
        }
        return null;
    }

    /** What an XREAD came to: its entries by key, or why it failed (Redis's error, or a reply that did not parse). */
    private record ReadOutcome(Map<String, List<Entry>> byKey, Throwable failure) {
        static ReadOutcome of(io.vertx.core.AsyncResult<Response> ar) {
            if (ar.failed()) {
                return new ReadOutcome(null, ar.cause());
            }
            try {
                return new ReadOutcome(parse(ar.result()), null);
            } catch (RuntimeException e) {
                return new ReadOutcome(null, e);
            }
        }
    }

    /** The cursor to read a key from: the earliest of its waiters not backing off at {@code nowMs}; null if none. */
    private static String earliestCursor(List<Waiter> waiters, long nowMs) {
        String cursor = null;
        for (Waiter w : waiters) {
            if (w.retryAtMs <= nowMs && (cursor == null || compareIds(w.after, cursor) < 0)) {
                cursor = w.after;
            }
        }
        return cursor;
    }

    private static void timedOut(Waiter w) {
        fail(w, new TimeoutException("job stream " + w.key + " not finished by its deadline"));
    }

    /** Orders stream entry ids ({@code ms-seq}, each part an unsigned 64-bit number) as Redis does. */
    static int compareIds(String a, String b) {
        int da = a.indexOf('-');
        int db = b.indexOf('-');
        long ma = Long.parseUnsignedLong(da < 0 ? a : a.substring(0, da));
        long mb = Long.parseUnsignedLong(db < 0 ? b : b.substring(0, db));
        if (ma != mb) {
            return Long.compareUnsigned(ma, mb);
        }
        long sa = da < 0 ? 0 : Long.parseUnsignedLong(a.substring(da + 1));
        long sb = db < 0 ? 0 : Long.parseUnsignedLong(b.substring(db + 1));
        return Long.compareUnsigned(sa, sb);
    }

    /** Whether {@code id} is a stream entry id Redis would take ({@code ms-seq}, unsigned 64-bit parts). */
    public static boolean validId(String id) {
        try {
            compareIds(id, id);
            return id.indexOf('-') > 0;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
