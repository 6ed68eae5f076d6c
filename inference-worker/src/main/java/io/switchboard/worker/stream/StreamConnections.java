package io.switchboard.worker.stream;

import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.switchboard.worker.WorkerConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
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
 * every write costs a system call on each side. On a held connection the writes that pile up while Redis answers leave
 * together: Vert.x flushes a connection once per read it handles (a job's next write is sent from the handler of its
 * last one's answer) and once per burst of writes queued from other threads (an engine's), so one socket write carries
 * many jobs' writes, and Redis reads and answers them in one go.
 *
 * <p>A connection that breaks is forgotten (the commands on it fail, and their writers try again, see
 * {@link JobStreamWriter}); the next write takes a new one. An error answer (a key of the wrong type) fails that command
 * alone.
 */
@ApplicationScoped
public class StreamConnections {
    private static final Logger LOG = Logger.getLogger(StreamConnections.class);

    private final Redis redis;
    private final Held[] held;
    private final Counter connects;
    private final AtomicInteger inFlight = new AtomicInteger();

    @Inject
    public StreamConnections(ReactiveRedisDataSource redis, Vertx vertx, WorkerConfig config, MeterRegistry registry) {
        this.redis = redis.getRedis().getDelegate();
        this.held = new Held[Math.max(1, config.streamConnections())];
        for (int i = 0; i < held.length; i++) {
            // a context on the next event loop of Vert.x's group (round robin): the connections' I/O spreads over them
            held[i] = new Held(i, ((VertxInternal) vertx).createEventLoopContext());
        }
        this.connects = Counter.builder("switchboard.worker.stream.connections.opened")
                .description("Redis connections taken for writing token streams (one per connection at start, and one "
                        + "each time a connection broke)")
                .register(registry);
        Gauge.builder("switchboard.worker.stream.connections", this, StreamConnections::connected)
                .description("Redis connections held for writing token streams").register(registry);
        Gauge.builder("switchboard.worker.stream.writes.in.flight", inFlight, AtomicInteger::get)
                .description("Token-stream writes sent and not yet answered (pipelined on the held connections)")
                .register(registry);
    }

    /**
     * Sends {@code request} on the connection of {@code key}'s job (its answers come in order); each subscription sends
     * it again, so a retry is a new send.
     */
    public Uni<Response> send(String key, Request request) {
        Held h = held[Math.floorMod(key.hashCode(), held.length)];
        return Uni.createFrom().emitter(e -> {
            inFlight.incrementAndGet();
            h.connection().compose(c -> c.send(request).onFailure(t -> h.check(c, t))).onComplete(ar -> {
                inFlight.decrementAndGet();
                if (ar.succeeded()) {
                    e.complete(ar.result());
                } else {
                    e.fail(ar.cause());
                }
            });
        });
    }

    private int connected() {
        int n = 0;
        for (Held h : held) {
            n += h.connected() ? 1 : 0;
        }
        return n;
    }

    /** One held connection: taken on its event loop when first needed, and again after it broke. */
    private final class Held {
        private final int index;
        private final Context context;
        /** The connection, or the attempt to take one; null when there is none. */
        private Future<RedisConnection> current;

        Held(int index, Context context) {
            this.index = index;
            this.context = context;
        }

        synchronized Future<RedisConnection> connection() {
            if (current == null) {
                Promise<RedisConnection> taken = Promise.promise();
                Future<RedisConnection> attempt = taken.future();
                current = attempt;
                context.runOnContext(v -> redis.connect().onComplete(ar -> {
                    if (ar.failed()) {
                        forget(attempt, ar.cause());
                        taken.fail(ar.cause());
                        return;
                    }
                    RedisConnection c = ar.result();
                    connects.increment();
                    c.exceptionHandler(t -> forget(attempt, t));
                    c.endHandler(x -> forget(attempt, null));
                    taken.complete(c);
                }));
            }
            return current;
        }

        synchronized boolean connected() {
            return current != null && current.succeeded();
        }

        /**
         * A command failed: unless Redis answered it with an error, the connection is in an unknown state (a write
         * that failed, a socket that ended) and is forgotten.
         */
        void check(RedisConnection c, Throwable t) {
            if (t instanceof io.vertx.redis.client.impl.types.ErrorType) {
                return;
            }
            Future<RedisConnection> attempt;
            synchronized (this) {
                attempt = current;
            }
            if (attempt != null && attempt.succeeded() && attempt.result() == c) {
                // not closed: closing a pooled connection with commands pending blocks the event loop (the pool resets
                // it); one that broke is evicted by Vert.x, and one in doubt ends on its own
                forget(attempt, t);
            }
        }

        private void forget(Future<RedisConnection> attempt, Throwable cause) {
            synchronized (this) {
                if (current != attempt) {
                    return;
                }
                current = null;
            }
            LOG.warnf("token-stream connection %d to Redis lost%s; the next write takes a new one", index,
                    cause == null ? "" : ": " + cause);
        }
    }
}
