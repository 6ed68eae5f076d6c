package io.switchboard.worker.stream;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import io.switchboard.worker.WorkerConfig;
import io.switchboard.worker.redis.RedisClientOptions;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * The Redis connections the worker writes its token streams on: a few connections held for that alone
 * ({@code stream-connections}), each made by a Redis client of its own on an event loop of its own, every job's writes
 * pipelined on one of them (chosen by the job's stream key), instead of a pooled connection per command.
 *
 * <p>Why: a pooled command holds its connection until Redis answers, so N jobs writing at once take N connections, and
 * every write costs a system call on each side. Here each connection lives on its own event loop and every command is
 * sent from there, and its answer is handled there: a job's next write, sent from the handler of its last one's
 * answer, is flushed with the others at the end of the read that brought the answers (Vert.x flushes a connection
 * once per read it handles), so one socket write carries many jobs' writes, and Redis reads and answers them in one go.
 *
 * <p>Failures: an error answer (a key of the wrong type) fails that command alone. A connection that closes or fails
 * is dropped (its client closed), with the commands still on it failed (their writers try again, see
 * {@link JobStreamWriter}); the next write takes a new one. A connection that stops answering for
 * {@code stream-unanswered-timeout} (30 s: a network that dropped it without a word; a Redis that is only slow answers
 * well before, and its commands, once run, are not written twice by a retry), or one that cannot be taken within it, is
 * given up the same way.
 */
@Startup
@ApplicationScoped
public class StreamConnections {
    private static final Logger LOG = Logger.getLogger(StreamConnections.class);
    private final Vertx vertx;
    private final RedisClientOptions options;
    private final long unansweredNanos;
    private final Held[] held;
    private final Counter opened;
    private final Counter heldForInterval;
    /** Commands a connection may have unanswered (the client's waiting queue): every running job has one at most. */
    static final int MAX_UNANSWERED = 65536;
    private final long watchdog;

    @Inject
    public StreamConnections(RedisClientOptions options, Vertx vertx, WorkerConfig config, MeterRegistry registry) {
        this.options = options;
        this.vertx = vertx;
        this.unansweredNanos = config.streamUnansweredTimeout().toNanos();
        this.held = new Held[Math.max(1, config.streamConnections())];
        for (int i = 0; i < held.length; i++) {
            // a context on the next event loop of Vert.x's group (round robin): the connections' I/O spreads over them
            held[i] = new Held(i, ((VertxInternal) vertx).createEventLoopContext());
        }
        this.opened = Counter.builder("switchboard.worker.stream.connections.opened")
                .description("Redis connections taken for writing token streams (one per connection at first use, and "
                        + "one each time a connection was lost)")
                .register(registry);
        this.heldForInterval = Counter.builder("switchboard.worker.stream.writes.held")
                .description("Rounds of token-stream writes held until the end of the job's stream interval "
                        + "(switchboard.worker.stream-interval; never while it is 0)")
                .register(registry);
        Gauge.builder("switchboard.worker.stream.connections", this, StreamConnections::connected)
                .description("Redis connections held for writing token streams").register(registry);
        Gauge.builder("switchboard.worker.stream.writes.in.flight", this, StreamConnections::inFlight)
                .description("Token-stream writes sent and not yet answered (pipelined on the held connections)")
                .register(registry);
        this.watchdog = vertx.setPeriodic(1000, id -> {
            for (Held h : held) {
                if (h.inFlight.get() > 0 || h.connecting) {
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
        return Uni.createFrom().emitter(e -> send(key, request, (r, t) -> {
            if (t == null) {
                e.complete(r);
            } else {
                e.fail(t);
            }
        }));
    }

    /**
     * Sends {@code request} on the connection of {@code key}'s job (its answers come in order); {@code answer} gets its
     * answer or its failure, once, on that connection's event loop. Nothing is built per command but the command itself:
     * a job writes every few tokens through here.
     */
    public void send(String key, Request request, Answer answer) {
        heldFor(key).send(request, answer);
    }

    /**
     * Runs {@code task} after {@code delayNanos} (in 1 ms steps) on the event loop of {@code key}'s connection, as a
     * Vert.x timer of that connection's context: what it sends there goes out without a hop to another thread, and is
     * answered there (a bare Netty task on the same thread is outside any context: the client would answer its
     * commands on another event loop). A writer's backoff before it tries again, or its next round after the stream
     * interval ({@link #holdForInterval}).
     */
    public void later(String key, long delayNanos, Runnable task) {
        ((ContextInternal) heldFor(key).context)
                .setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(delayNanos + 999_999)), id -> task.run());
    }

    /** The Vert.x context of {@code key}'s connection: what runs there sends on it without a hop to another thread. */
    public Context context(String key) {
        return heldFor(key).context;
    }

    /** The connection {@code key}'s job writes on. */
    private Held heldFor(String key) {
        return held[Math.floorMod(key.hashCode(), held.length)];
    }

    /** {@link #later}, for a writer's deltas held until the end of its stream interval; counted. */
    public void holdForInterval(String key, long delayNanos, Runnable task) {
        later(key, delayNanos, task);
        heldForInterval.increment();
    }

    /** Hands a command its answer; a callback that throws is logged, and the others still get theirs. */
    private static void answerOnce(Answer answer, Response response, Throwable failure) {
        try {
            answer.accept(response, failure);
        } catch (RuntimeException e) {
            LOG.warnf(e, "a token-stream write's answer handler failed");
        }
    }

    /** Where a command's answer goes, exactly once: the answer, or the failure (then the answer is null). */
    @FunctionalInterface
    public interface Answer {
        void accept(Response answer, Throwable failure);
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
        for (Held h : held) {
            h.context.runOnContext(v -> h.drop(new IOException("the worker is stopping")));
        }
    }

    /** A send waiting for its connection. */
    private record Waiting(Request request, Answer answer) {
    }

    /** A command sent and not answered yet. */
    private record Sent(long atNanos, Answer answer) {
    }

    /**
     * One held connection and what waits on it; all of its state is touched on its event loop only (sends from other
     * threads hop there first).
     */
    private final class Held {
        private final int index;
        private final Context context;
        private final AtomicInteger inFlight = new AtomicInteger();
        /** The client that made the connection (made on this event loop, so its connections live here too). */
        private Redis client;
        /** The connection; null when there is none (volatile: the gauge reads it from elsewhere). */
        private volatile RedisConnection connection;
        private volatile boolean connecting;
        private long connectingSince;
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

        void send(Request request, Answer answer) {
            // on this event loop's thread but outside this context (a bare Netty task), the client would answer on
            // another event loop: hop in all the same
            if (Thread.currentThread() != loop || Vertx.currentContext() != context) {
                context.runOnContext(v -> {
                    loop = Thread.currentThread();
                    sendHere(request, answer);
                });
                return;
            }
            sendHere(request, answer);
        }

        private void sendHere(Request request, Answer answer) {
            RedisConnection c = connection;
            if (c == null) {
                waitingForConnection.add(new Waiting(request, answer));
                connect();
                return;
            }
            Sent sent = new Sent(System.nanoTime(), answer);
            unanswered.add(sent);
            inFlight.incrementAndGet();
            c.send(request).onComplete(ar -> {
                if (!unanswered.remove(sent)) {
                    return; // drop() has answered it already (and the closed client fails it once more): once is all
                }
                inFlight.decrementAndGet();
                if (ar.succeeded()) {
                    answerOnce(answer, ar.result(), null);
                } else {
                    if (lost(ar.cause()) && connection == c) {
                        drop(ar.cause());
                    }
                    answerOnce(answer, null, ar.cause());
                }
            });
        }

        private void connect() {
            if (connecting) {
                return;
            }
            connecting = true;
            connectingSince = System.nanoTime();
            // the worker's own Redis settings (hosts, credentials, TLS), one connection
            RedisOptions own = options.copy();
            own.setNetClientOptions(new NetClientOptions(own.getNetClientOptions()).setConnectTimeout(
                    (int) Math.min(Integer.MAX_VALUE, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(unansweredNanos))));
            Redis made = Redis.createClient(vertx, own.setMaxPoolSize(1).setMaxPoolWaiting(1)
                    .setMaxWaitingHandlers(MAX_UNANSWERED));
            client = made;
            made.connect().onComplete(ar -> {
                if (client != made) { // given up meanwhile (drop closed it)
                    return;
                }
                connecting = false;
                List<Waiting> waiting = new ArrayList<>(waitingForConnection);
                waitingForConnection.clear();
                if (ar.failed()) {
                    LOG.warnf("token-stream connection %d: connecting to Redis failed: %s", index, ar.cause().toString());
                    client = null;
                    made.close();
                    // the sends fail (their writers try again, with backoff) rather than wait here without bound
                    waiting.forEach(w -> answerOnce(w.answer(), null, ar.cause()));
                    return;
                }
                RedisConnection c = ar.result();
                opened.increment();
                c.exceptionHandler(t -> context.runOnContext(v -> {
                    if (connection == c) {
                        drop(t);
                    }
                }));
                c.endHandler(x -> context.runOnContext(v -> {
                    if (connection == c) {
                        drop(null);
                    }
                }));
                connection = c;
                waiting.forEach(w -> send(w.request(), w.answer()));
            });
        }

        /**
         * The connection closed, failed, or stopped answering, or could not be taken: its client is closed (and the
         * connection with it), and every command still on it, and every send waiting for it, fails (an answer that
         * comes later finds its command already ended). The next send takes a new one.
         */
        void drop(Throwable cause) {
            Redis gone = client;
            boolean had = connection != null || connecting;
            client = null;
            connection = null;
            connecting = false;
            if (had) {
                LOG.warnf("token-stream connection %d to Redis lost%s; the next write takes a new one", index,
                        cause == null ? "" : ": " + cause);
            }
            IOException lost = new IOException("token-stream connection to Redis lost"
                    + (cause == null ? "" : ": " + cause.getMessage()));
            List<Sent> failed = new ArrayList<>(unanswered);
            unanswered.clear();
            inFlight.addAndGet(-failed.size());
            List<Waiting> waiting = new ArrayList<>(waitingForConnection);
            waitingForConnection.clear();
            if (gone != null) {
                gone.close();
            }
            failed.forEach(s -> answerOnce(s.answer(), null, lost));
            waiting.forEach(w -> answerOnce(w.answer(), null, lost));
        }

        /** Called every second on the event loop: a command unanswered, or a connection not taken, for too long. */
        void giveUpIfUnanswered() {
            long now = System.nanoTime();
            Sent oldest = unanswered.peek();
            if (connection != null && oldest != null && now - oldest.atNanos() > unansweredNanos) {
                drop(new IOException("a command unanswered for " + unansweredNanos / 1_000_000 + " ms"));
            } else if (connecting && now - connectingSince > unansweredNanos) {
                drop(new IOException("no connection after " + unansweredNanos / 1_000_000 + " ms"));
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
