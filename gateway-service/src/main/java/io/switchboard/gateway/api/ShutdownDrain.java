package io.switchboard.gateway.api;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.metrics.ReliabilityMetrics;
import io.switchboard.gateway.stream.StreamRelays;

/**
 * Drain on shutdown (SIGTERM). Quarkus fires {@link ShutdownEvent} before it stops the HTTP server, Kafka and Redis
 * clients, so this observer (first of them) holds the stop while it drains: from then on new chat completions and
 * resumes are answered 503 {@code shutting_down} with {@code retry-after} (another replica takes them) and readiness is
 * DOWN ({@link DrainReadiness}); running answers go on for up to {@code drain-grace}; what is left then ends with an in-band
 * {@code shutting_down} error, its jobs not cancelled, so each client resumes on another replica with Last-Event-ID.
 * ({@code quarkus.shutdown.timeout} is left unset: its filter would refuse new requests with a bare 503 and wait
 * for streams itself, without the OpenAI envelope or the in-band end.)
 */
@ApplicationScoped
public class ShutdownDrain {
    private static final Logger LOG = Logger.getLogger(ShutdownDrain.class);
    private static final long RETRY_AFTER_MS = 1000;

    private final StreamRelays relays;
    private final ReliabilityMetrics metrics;
    private final Duration grace;
    private volatile boolean draining;

    @Inject
    public ShutdownDrain(StreamRelays relays, ReliabilityMetrics metrics, GatewayConfig config) {
        this.relays = relays;
        this.metrics = metrics;
        this.grace = config.drainGrace();
    }

    void onShutdown(@Observes @Priority(1) ShutdownEvent event) {
        drain();
    }

    /** Refuses new work, waits for running answers up to the grace, then ends the rest. Blocks until done. */
    public void drain() {
        draining = true;
        metrics.draining(true);
        LOG.infof("draining: %d answers running, up to %s", relays.active(), grace);
        long deadline = System.nanoTime() + grace.toNanos();
        waitForRelays(deadline);
        StreamRelays.Drained left = relays.drainAll();
        if (left.count() > 0) {
            metrics.drainEnded(left.count());
            LOG.infof("drain grace over: %d streams ended with shutting_down (resumable elsewhere)", left.count());
            try {
                // their ends written before the HTTP server stops and closes the connections
                left.written().get(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.warnf("drain: not every stream's end was written in 2 s: %s", e.toString());
            }
        }
    }

    private void waitForRelays(long deadlineNanos) {
        try {
            while (relays.active() > 0 && System.nanoTime() < deadlineNanos) {
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean draining() {
        return draining;
    }

    /** Throws the answer to a request that arrives while draining. */
    public void refuseIfDraining() {
        if (draining) {
            throw ApiException.unavailable("shutting_down", "This gateway is shutting down; retry on another replica.")
                    .withRetryAfter(RETRY_AFTER_MS);
        }
    }

    public int activeAnswers() {
        return relays.active();
    }
}
