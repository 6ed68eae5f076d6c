package io.switchboard.gateway.metrics;

import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The gateway's counters for issue 9's mechanisms (Prometheus names in brackets):
 * <ul>
 * <li>{@code switchboard_gateway_resumes_total{outcome}}: resume requests by outcome ({@code resumed}, {@code done}
 * (nothing was left after Last-Event-ID), {@code not_found}, {@code invalid}).</li>
 * <li>{@code switchboard_gateway_bad_events_total{kind}}: job events that ended a request ({@code undecodable},
 * {@code unknown}).</li>
 * <li>{@code switchboard_gateway_stream_read_errors_total}: Redis stream reads that failed (each try);
 * {@code switchboard_gateway_stream_read_failures_total}: requests ended because reads kept failing.</li>
 * <li>{@code switchboard_gateway_abandoned_claims_total{reason,result}}: the gateway's owner claims ({@code reason}
 * {@code publish_failed} or {@code client_gone}; {@code result} {@code claimed}, {@code owned} (someone else owned
 * the job first), {@code error}).</li>
 * <li>{@code switchboard_gateway_disconnects_total{kind}}: clients gone before the end ({@code closed}: cancelled at
 * once; {@code broken}: left to the resume grace).</li>
 * <li>{@code switchboard_gateway_slow_clients_ended_total}: streams ended because the client stopped reading.</li>
 * <li>{@code switchboard_gateway_drain_streams_ended_total}: streams still running at the end of the drain grace;
 * {@code switchboard_gateway_draining}: 1 while the gateway drains; {@code switchboard_gateway_active_streams}.</li>
 * </ul>
 */
@ApplicationScoped
public class ReliabilityMetrics {
    private final MeterRegistry registry;
    private final Counter readErrors;
    private final Counter readFailures;
    private final Counter slowClients;
    private final Counter drainEnded;
    private final AtomicInteger draining = new AtomicInteger();

    @Inject
    public ReliabilityMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.readErrors = Counter.builder("switchboard.gateway.stream.read.errors")
                .description("Reads of a job stream that failed (each try; up to stream-read-retries are tried again)")
                .register(registry);
        this.readFailures = Counter.builder("switchboard.gateway.stream.read.failures")
                .description("Requests ended because reading their job stream kept failing").register(registry);
        this.slowClients = Counter.builder("switchboard.gateway.slow.clients.ended")
                .description("Streams ended because the client stopped reading (its write queue stayed full)")
                .register(registry);
        this.drainEnded = Counter.builder("switchboard.gateway.drain.streams.ended")
                .description("Streams still running when the shutdown drain grace ran out, ended with an in-band error")
                .register(registry);
        Gauge.builder("switchboard.gateway.draining", draining, AtomicInteger::get)
                .description("1 while the gateway drains for shutdown").register(registry);
    }

    public void resume(String outcome) {
        Counter.builder("switchboard.gateway.resumes").description("Stream resume requests, by outcome")
                .tag("outcome", outcome).register(registry).increment();
    }

    public void badEvent(String kind) {
        Counter.builder("switchboard.gateway.bad.events").description("Job events that could not be relayed, by kind")
                .tag("kind", kind).register(registry).increment();
    }

    public void readError() {
        readErrors.increment();
    }

    public void readFailure() {
        readFailures.increment();
    }

    public void abandonedClaim(String reason, String result) {
        Counter.builder("switchboard.gateway.abandoned.claims")
                .description("The gateway's abandoned owner claims on jobs, by reason and result")
                .tag("reason", reason).tag("result", result).register(registry).increment();
    }

    public void disconnect(String kind) {
        Counter.builder("switchboard.gateway.disconnects").description("Clients gone before their answer ended, by kind")
                .tag("kind", kind).register(registry).increment();
    }

    public void slowClientEnded() {
        slowClients.increment();
    }

    public void drainEnded(int streams) {
        drainEnded.increment(streams);
    }

    public void draining(boolean on) {
        draining.set(on ? 1 : 0);
    }

    public void activeStreams(java.util.function.Supplier<Number> count) {
        Gauge.builder("switchboard.gateway.active.streams", count).description("Answers being relayed now")
                .register(registry);
    }
}
