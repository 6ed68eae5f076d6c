package io.switchboard.gateway.tenancy;

import java.util.concurrent.atomic.AtomicInteger;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.switchboard.schema.wire.RedisKeys;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;

/**
 * The tenancy change notices of {@link RedisKeys#TENANCY_CHANGES}, received on a Redis connection of their own: each
 * notice, and each subscription once Redis confirmed it (notices may have been missed before), runs {@code changed}. A
 * lost connection, a refused subscription or one not confirmed within 5 s is taken again after a backoff (1 s,
 * doubling up to 30 s). {@link #listening()} says whether notices are arriving now, so that the registry polls Redis
 * fast only while they are not.
 */
final class TenancyChanges {
    private static final Logger LOG = Logger.getLogger(TenancyChanges.class);
    private static final long FIRST_BACKOFF_MS = 1000;
    private static final long MAX_BACKOFF_MS = 30_000;
    private static final long CONFIRM_WITHIN_MS = 5000;

    private final Redis redis;
    private final Vertx vertx;
    private final Runnable changed;
    private final Runnable listeningChanged;
    private final Counter notices;
    private final AtomicInteger failures = new AtomicInteger();
    private volatile RedisConnection connection;
    private volatile boolean listening;
    private volatile boolean closed;

    /**
     * {@code changed} runs on each notice and after each subscription; {@code listeningChanged} whenever
     * {@link #listening()} flips. Both run on an event loop and must not block.
     */
    TenancyChanges(Redis redis, Vertx vertx, MeterRegistry metrics, Runnable changed, Runnable listeningChanged) {
        this.redis = redis;
        this.vertx = vertx;
        this.changed = changed;
        this.listeningChanged = listeningChanged;
        this.notices = Counter.builder("switchboard.tenancy.change.notices")
                .description("Tenancy change notices received from Redis pub/sub (each makes the gateway reload)")
                .register(metrics);
        Gauge.builder("switchboard.tenancy.change.listener.up", this, c -> c.listening ? 1 : 0)
                .description("1 while this gateway receives tenancy change notices; 0 while it polls Redis for them instead")
                .register(metrics);
    }

    /** Whether notices are arriving now (the subscription is confirmed and its connection open). */
    boolean listening() {
        return listening;
    }

    void start() {
        connect();
    }

    void close() {
        closed = true;
        RedisConnection c = connection;
        if (c != null) {
            c.close();
        }
    }

    private void connect() {
        if (closed) {
            return;
        }
        redis.connect().onSuccess(c -> {
            if (closed) {
                c.close();
                return;
            }
            connection = c;
            c.handler(this::message);
            c.exceptionHandler(t -> lost(c, t));
            c.endHandler(v -> lost(c, null));
            // the send completes once written (Vert.x waits for no answer to a pub/sub command): Redis's confirmation,
            // or its refusal, comes to the handler, RESP2 and RESP3 alike
            c.send(Request.cmd(Command.SUBSCRIBE).arg(RedisKeys.TENANCY_CHANGES)).onFailure(t -> lost(c, t));
            vertx.setTimer(CONFIRM_WITHIN_MS, id -> {
                if (connection == c && !listening) {
                    lost(c, new IllegalStateException("the subscription was not confirmed"));
                }
            });
        }).onFailure(this::retry);
    }

    /** A notice, the confirmation of the subscription, or its refusal. */
    private void message(Response r) {
        if (r == null) {
            return;
        }
        if (r.type() == ResponseType.ERROR) {
            lost(connection, new IllegalStateException(r.toString()));
            return;
        }
        if (r.size() < 3) {
            return;
        }
        String kind = r.get(0).toString();
        if ("subscribe".equalsIgnoreCase(kind)) {
            subscribed(connection);
        } else if ("message".equalsIgnoreCase(kind)) {
            notices.increment();
            changed.run();
        }
    }

    /** Redis confirmed the subscription. */
    private void subscribed(RedisConnection c) {
        if (c == null || connection != c || listening) {
            return;
        }
        failures.set(0);
        listening = true;
        listeningChanged.run();
        changed.run(); // whatever changed while nobody listened
    }

    /** The connection ended, failed or was refused: it is closed (if still open) and taken again after a backoff. */
    private void lost(RedisConnection c, Throwable cause) {
        if (c == null || connection != c) {
            return;
        }
        connection = null;
        c.close();
        boolean was = listening;
        listening = false;
        if (was) {
            listeningChanged.run();
        }
        if (!closed) {
            retry(cause);
        }
    }

    private void retry(Throwable cause) {
        if (closed) {
            return;
        }
        int n = failures.getAndIncrement();
        long delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(5, n));
        LOG.warnf("tenancy change notices: Redis connection %s; polling every refresh-interval, subscribing again in %d ms",
                cause == null ? "closed" : "failed (" + cause.getMessage() + ")", delay);
        vertx.setTimer(delay, id -> connect());
    }
}
