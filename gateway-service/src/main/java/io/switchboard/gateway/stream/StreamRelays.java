package io.switchboard.gateway.stream;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.metrics.ReliabilityMetrics;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;

/** Starts {@link StreamRelay}s and knows the ones running, so a shutdown can end what is left of them. */
@ApplicationScoped
public class StreamRelays {
    private final TokenStreamReader reader;
    private final ReliabilityMetrics metrics;
    private final Vertx vertx;
    private final long slowClientTimeoutMs;
    private final Set<StreamRelay> active = ConcurrentHashMap.newKeySet();

    @Inject
    public StreamRelays(TokenStreamReader reader, ReliabilityMetrics metrics, Vertx vertx, GatewayConfig config) {
        this.reader = reader;
        this.metrics = metrics;
        this.vertx = vertx;
        this.slowClientTimeoutMs = config.slowClientTimeout().toMillis();
        metrics.activeStreams(active::size);
    }

    /**
     * Relays the job's entries after {@code after} to {@code response}, from now on; call on the request's context.
     * {@code lease} holds the job's reader key and is released when the relay ends.
     */
    public void start(HttpServerResponse response, ResponseWriter writer, String jobId, String after, long deadlineMs,
            boolean streaming, ReaderLeases.Lease lease, StreamRelay.Listener listener) {
        StreamRelay relay = new StreamRelay(this, contextOf(vertx), response, writer, jobId, after, deadlineMs,
                streaming, lease, listener);
        active.add(relay);
        relay.start();
    }

    /** How many answers are being relayed now. */
    public int active() {
        return active.size();
    }

    /** Ends every running relay with the shutdown error (on its own context); returns how many there were. */
    public int drainAll() {
        List<StreamRelay> left = List.copyOf(active);
        for (StreamRelay relay : left) {
            relay.context().runOnContext(v -> relay.drain());
        }
        return left.size();
    }

    void ended(StreamRelay relay) {
        active.remove(relay);
    }

    TokenStreamReader reader() {
        return reader;
    }

    ReliabilityMetrics metrics() {
        return metrics;
    }

    Vertx vertx() {
        return vertx;
    }

    long slowClientTimeoutMs() {
        return slowClientTimeoutMs;
    }

    /** For a relay started off a Vert.x context (never in practice: the routes start relays on theirs). */
    static Context contextOf(Vertx vertx) {
        Context c = Vertx.currentContext();
        return c != null ? c : vertx.getOrCreateContext();
    }
}
