package io.switchboard.gateway.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
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

    /**
     * Ends every running relay with the shutdown error (each on its own context): how many there were, and when their
     * ends are written (the HTTP server must not close their connections before).
     */
    public Drained drainAll() {
        List<StreamRelay> left = List.copyOf(active);
        List<CompletableFuture<Void>> written = new ArrayList<>(left.size());
        for (StreamRelay relay : left) {
            CompletableFuture<Void> end = new CompletableFuture<>();
            written.add(end);
            relay.context().runOnContext(v -> relay.drain().onComplete(ar -> end.complete(null)));
        }
        return new Drained(left.size(), CompletableFuture.allOf(written.toArray(CompletableFuture[]::new)));
    }

    /** What {@link #drainAll} ended: how many answers, and when all their ends are written. */
    public record Drained(int count, CompletableFuture<Void> written) {
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
