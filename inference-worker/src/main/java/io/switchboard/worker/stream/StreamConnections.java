package io.switchboard.worker.stream;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.switchboard.worker.WorkerConfig;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * The Redis connections the worker writes its token streams on: a few connections held for that alone
 * ({@code stream-connections}, each on an event loop of its own), every job's writes pipelined on one of them (chosen
 * by the job's stream key), instead of a pooled connection per command.
 *
 * <p>Why: a pooled command holds its connection until Redis answers, so N jobs writing at once take N connections, and
 * every write costs a system call on each side. Here every command is sent from its connection's own event loop, and
 * its answer is handled there: a job's next write, sent from the handler of its last one's answer, is flushed with the
 * others at the end of the read that brought the answers (Vert.x flushes a connection once per read it handles), so
 * one socket write carries many jobs' writes, and Redis reads and answers them in one go.
 *
 * <p>Failures: an error answer (a key of the wrong type) fails that command alone. A connection that closes or fails
 * is forgotten, with the commands still on it failed (their writers try again, see {@link JobStreamWriter}); the next
 * write takes a new one. A connection that stops answering (a network that drops it without a word) is given up the
 * same way once its oldest unanswered command is {@code UNANSWERED_MS} old.
 */
@Startup
@ApplicationScoped
public class StreamConnections {
    private static final Logger LOG = Logger.getLogger(StreamConnections.class);
    /** How long a command may stay unanswered before its connection is given up. */
    static final long UNANSWERED_MS = 5000;

    private final Redis redis;
    private final Vertx vertx;
    private final Held[] held;
    private final Counter opened;
    private final long watchdog;

    @Inject
    public StreamConnections(ReactiveRedisDataSource redis, Vertx vertx, WorkerConfig config, MeterRegistry registry) {
        this.redis = redis.getRedis().getDelegate();
        this.vertx = vertx;
        this.held = new Held[Math.max(1, config.streamConnections())];
        for (int i = 0; i < held.length; i++) {
            // a context on the next event loop of Vert.x's group (round robin): the connections' I/O spreads over them
            held[i] = new Held(i, ((VertxInternal) vertx).createEventLoopContext());
        }
        this.opened = Counter.builder("switchboard.worker.stream.connections.opened")
                .description("Redis connections taken for writing token streams (one per connection at first use, and "
                        + "one each time a connection was lost)")
                .register(registry);
        Gauge.builder("switchboard.worker.stream.connections", this, StreamConnections::connected)
                .description("Redis connections held for writing token streams").register(registry);
        Gauge.builder("switchboard.worker.stream.writes.in.flight", this, StreamConnections::inFlight)
                .description("Token-stream writes sent and not yet answered (pipelined on the held connections)")
                .register(registry);
        this.watchdog = vertx.setPeriodic(1000, id -> {
            for (Held h : held) {
                if (h.inFlight.get() > 0) {
                    h.context.runOnContext(v -> h.giveUpIfUnanswered());
                }
            }
        });
    }

    /**
     * Sends {@code request} on the connection of {@code key}'s job (its answers come in order); each subscription sends
     * it again, so a retry is a new send. Completes on the connection's event loop.
     */
    public Uni<Response> send(String key, Request request) {
        Held h = held[Math.floorMod(key.hashCode(), held.length)];
        return Uni.createFrom().emitter(e -> h.send(request, e));
    }

    private int connected() {
        int n = 0;
        for (Held h : held) {
            n += h.connection != null ? 1 : 0;
        }
        return n;
    }

    private int inFlight() {
        int n = 0;
        for (Held h : held) {
            n += h.inFlight.get();
        }
        return n;
    }

    @PreDestroy
    void close() {
        vertx.cancelTimer(watchdog);
    }

    /** A send waiting for its connection. */
    private record Waiting(Request request, UniEmitter<? super Response> emitter) {
    }

    /** A command sent and not answered yet. */
    private record Sent(long atMs, UniEmitter<? super Response> emitter) {
    }

    /**
     * One held connection and what waits on it; all of its state is touched on its event loop only (sends from other
     * threads hop there first).
     */
    private final class Held {
        private final int index;
        private final Context context;
        private final AtomicInteger inFlight = new AtomicInteger();
        /** The connection; null when there is none (volatile: the gauge reads it from elsewhere). */
        private volatile RedisConnection connection;
        private boolean connecting;
        /** Sends waiting for the connection to be taken. */
        private final List<Waiting> waitingForConnection = new ArrayList<>();
        /** On the connection, oldest first: its answers come in this order. */
        private final ArrayDeque<Sent> unanswered = new ArrayDeque<>();
        /** The event loop's thread, once known: sends from any other thread hop there first. */
        private volatile Thread loop;

        Held(int index, Context context) {
            this.index = index;
            this.context = context;
        }

        void send(Request request, UniEmitter<? super Response> emitter) {
            if (Thread.currentThread() != loop) {
                context.runOnContext(v -> {
                    loop = Thread.currentThread();
                    send(request, emitter);
                });
                return;
            }
            RedisConnection c = connection;
            if (c == null) {
                waitingForConnection.add(new Waiting(request, emitter));
                connect();
                return;
            }
            Sent sent = new Sent(System.currentTimeMillis(), emitter);
            unanswered.add(sent);
            inFlight.incrementAndGet();
            c.send(request).onComplete(ar -> {
                if (unanswered.remove(sent)) {
                    inFlight.decrementAndGet();
                }
                if (ar.succeeded()) {
                    emitter.complete(ar.result());
                } else {
                    if (lost(ar.cause())) {
                        forget(c, ar.cause());
                    }
                    emitter.fail(ar.cause());
                }
            });
        }

        private void connect() {
            if (connecting) {
                return;
            }
            connecting = true;
            redis.connect().onComplete(ar -> {
                connecting = false;
                List<Waiting> waiting = new ArrayList<>(waitingForConnection);
                waitingForConnection.clear();
                if (ar.failed()) {
                    LOG.warnf("token-stream connection %d: connecting to Redis failed: %s", index, ar.cause().toString());
                    // the sends fail (their writers try again, with backoff) rather than wait here without bound
                    waiting.forEach(w -> w.emitter().fail(ar.cause()));
                    return;
                }
                RedisConnection c = ar.result();
                opened.increment();
                c.exceptionHandler(t -> context.runOnContext(v -> forget(c, t)));
                c.endHandler(x -> context.runOnContext(v -> forget(c, null)));
                connection = c;
                waiting.forEach(w -> send(w.request(), w.emitter()));
            });
        }

        /**
         * The connection closed, failed, or stopped answering: forgotten, and every command still on it failed (an
         * answer that comes later finds its command already ended). It is not closed: closing a pooled connection
         * with commands pending blocks the event loop (the pool resets it); one that ended or failed is evicted by
         * Vert.x, and one that went silent ends when the system gives up on its socket.
         */
        private void forget(RedisConnection c, Throwable cause) {
            if (connection != c) {
                return;
            }
            connection = null;
            LOG.warnf("token-stream connection %d to Redis lost%s; the next write takes a new one", index,
                    cause == null ? "" : ": " + cause);
            IOException gone = new IOException("token-stream connection to Redis lost"
                    + (cause == null ? "" : ": " + cause.getMessage()));
            List<Sent> failed = new ArrayList<>(unanswered);
            unanswered.clear();
            inFlight.addAndGet(-failed.size());
            failed.forEach(s -> s.emitter().fail(gone));
        }

        /** Called every second on the event loop: a connection whose oldest command waits too long is given up. */
        void giveUpIfUnanswered() {
            Sent oldest = unanswered.peek();
            RedisConnection c = connection;
            if (c != null && oldest != null && System.currentTimeMillis() - oldest.atMs() > UNANSWERED_MS) {
                forget(c, new IOException("a command unanswered for " + UNANSWERED_MS + " ms"));
            }
        }

        /**
         * Whether a command's failure means the connection is lost: a closed connection or an I/O failure; not an
         * error answer from Redis, nor the client's own "waiting queue is full" (that command alone fails).
         */
        private static boolean lost(Throwable t) {
            if (t instanceof io.vertx.redis.client.impl.types.ErrorType) {
                return false;
            }
            return t instanceof IOException
                    || (t.getMessage() != null && t.getMessage().contains("Connection is closed"));
        }
    }
}
