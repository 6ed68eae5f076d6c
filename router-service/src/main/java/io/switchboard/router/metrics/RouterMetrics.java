package io.switchboard.router.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.switchboard.router.admission.FlowMetrics;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.ServiceClass;

/**
 * The router's flow control in Prometheus: {@code switchboard_router_queue_depth{model,band}},
 * {@code switchboard_router_queue_wait_seconds{model,band}} (histogram), {@code switchboard_router_decision_seconds{input}}
 * (histogram: one dispatcher input, decisions included), {@code switchboard_router_refusals_total{model,band,reason}}
 * (jobs refused or shed without running), {@code switchboard_router_tenant_tokens_charged_total{tenant,band,kind}}
 * (tokens charged to tenants' fair-share counters), {@code switchboard_router_held_workers} (workers held for a waiting
 * job of several choices) and {@code switchboard_router_prefix_blocks_total{model,result}}
 * (prompt blocks placed on a worker recently sent them, {@code hit}, or not, {@code miss}: the router's estimate of the
 * prefix-cache hit rate).
 */
@ApplicationScoped
public class RouterMetrics implements FlowMetrics {
    private final MeterRegistry registry;
    private final Map<String, AtomicInteger> depths = new ConcurrentHashMap<>();
    private final Map<String, Timer> decisions = new ConcurrentHashMap<>();
    private final AtomicInteger held = new AtomicInteger();

    @Inject
    public RouterMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("switchboard.router.held.workers", held, AtomicInteger::get)
                .description("Workers held for waiting jobs of several choices: no job of the holder's band or a lower "
                        + "one goes there until that job is placed")
                .register(registry);
    }

    @Override
    public void heldWorkers(int workers) {
        held.set(workers);
    }

    @Override
    public void depth(String model, ServiceClass band, int depth) {
        depths.computeIfAbsent(model + '\u0000' + band.wire(), k -> {
            AtomicInteger value = new AtomicInteger();
            Gauge.builder("switchboard.router.queue.depth", value, AtomicInteger::get)
                    .description("Jobs waiting in the router, per model and band (aged batch jobs count as standard)")
                    .tag("model", model).tag("band", band.wire()).register(registry);
            return value;
        }).set(depth);
    }

    @Override
    public void dispatched(String model, ServiceClass band, long waitedMs) {
        Timer.builder("switchboard.router.queue.wait")
                .description("Time jobs waited in the router's queue before dispatch, per model and class")
                .tag("model", model).tag("band", band.wire()).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry).record(waitedMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void refused(String model, ServiceClass band, FailureCode reason) {
        Counter.builder("switchboard.router.refusals")
                .description("Jobs the router refused or shed without running them, per model, class and reason")
                .tag("model", model).tag("band", band.wire()).tag("reason", reason.wire()).register(registry).increment();
    }

    @Override
    public void charged(String tenantId, ServiceClass band, long promptTokens, long completionTokens) {
        charged(tenantId, band, "prompt", promptTokens);
        charged(tenantId, band, "completion", completionTokens);
    }

    private void charged(String tenantId, ServiceClass band, String kind, long tokens) {
        Counter.builder("switchboard.router.tenant.tokens.charged")
                .description("Tokens charged to tenants' fair-share counters (real counts once the job ends), per band and kind")
                .tag("tenant", tenantId).tag("band", band.wire()).tag("kind", kind).register(registry).increment(tokens);
    }

    @Override
    public void placed(String model, int matchedBlocks, int promptBlocks) {
        prefixBlocks(model, "hit", matchedBlocks);
        prefixBlocks(model, "miss", promptBlocks - matchedBlocks);
    }

    private void prefixBlocks(String model, String result, int blocks) {
        Counter.builder("switchboard.router.prefix.blocks")
                .description("Prompt blocks placed on a worker the router had recently sent that prefix (hit) or not (miss)")
                .tag("model", model).tag("result", result).register(registry).increment(blocks);
    }

    @Override
    public void requeued(String model, String reason) {
        Counter.builder("switchboard.router.requeues")
                .description("Jobs put back in line before their first token: worker full, worker lost, assignment not "
                        + "sent, local engine failed (local_failed: for the cloud)")
                .tag("model", model).tag("reason", reason).register(registry).increment();
    }

    @Override
    public void overflowedToCloud(String model) {
        Counter.builder("switchboard.router.cloud.overflows")
                .description("Jobs with automatic provider routing sent to a cloud worker: local capacity saturated or down")
                .tag("model", model).register(registry).increment();
    }

    /** A worker answered an assignment ({@code accepted}, {@code full}, {@code claimed}). */
    public void reply(String verdict) {
        Counter.builder("switchboard.router.assignment.replies")
                .description("Workers' answers to assignments, per verdict")
                .tag("verdict", verdict).register(registry).increment();
    }

    /** A job back in line written to the jobs topic again ({@code written}), or not ({@code failed}). */
    public void republished(String outcome) {
        Counter.builder("switchboard.router.republished.jobs")
                .description("Jobs back in line, written to the jobs topic again")
                .tag("outcome", outcome).register(registry).increment();
    }

    /**
     * A job taken back from a worker that was lost or stopped listing it ended as {@code outcome}: {@code requeued},
     * {@code failed} (worker_lost in-band), {@code ended} (it had finished), {@code other} (someone else owned it).
     */
    public void orphan(String outcome) {
        Counter.builder("switchboard.router.orphaned.jobs")
                .description("Jobs taken back from a lost worker (or one that stopped listing them), per outcome")
                .tag("outcome", outcome).register(registry).increment();
    }

    /** A failure the router wrote under the job's owner claim ({@code written}), or found owned by another ({@code skipped}). */
    public void failureWrite(String result) {
        Counter.builder("switchboard.router.failure.writes")
                .description("Failures the router ended jobs with (written), or left to the job's owner (skipped), or could not write (error)")
                .tag("result", result).register(registry).increment();
    }

    /** Records how long the dispatcher took over one input ({@code job}, {@code heartbeat}, ...), decisions included. */
    public void decision(String input, long nanos) {
        decisions.computeIfAbsent(input, i -> Timer.builder("switchboard.router.decision")
                .description("Time the dispatcher takes over one input (job, heartbeat, completion, cancel, tick), decisions included")
                .tag("input", i).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(1_000)).maximumExpectedValue(Duration.ofMillis(100))
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }
}
