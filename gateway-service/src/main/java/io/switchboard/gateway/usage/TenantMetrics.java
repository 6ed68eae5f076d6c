package io.switchboard.gateway.usage;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.switchboard.gateway.auth.Caller;
import io.switchboard.gateway.limits.AdmissionDecision;
import io.switchboard.schema.event.UsageRecord;

/**
 * Per-tenant Prometheus metrics: requests admitted and refused (by the limit that refused them), tokens used and
 * jobs ended (from the usage records), and what authentication plus limits cost a request, with limits on and off.
 */
@ApplicationScoped
public class TenantMetrics {
    private final MeterRegistry registry;
    private final Timer admissionLimited;
    private final Timer admissionUnlimited;
    private final Map<List<String>, Counter> admitted = new ConcurrentHashMap<>();

    @Inject
    public TenantMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.admissionLimited = admissionTimer("on");
        this.admissionUnlimited = admissionTimer("off");
    }

    private Timer admissionTimer(String limits) {
        return Timer.builder("switchboard.gateway.admission")
                .description("From a chat completion's arrival to its admission decision: authentication, parsing, "
                        + "validation and (limits=on) the Redis limit check")
                .tag("limits", limits).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(1))
                .register(registry);
    }

    public void admission(Caller caller, String model, AdmissionDecision decision, long nanos) {
        (caller.counted() ? admissionLimited : admissionUnlimited).record(nanos, TimeUnit.NANOSECONDS);
        if (decision.admitted()) {
            // looked up once per tenant and model, not built again on every request
            admitted.computeIfAbsent(List.of(caller.tenantId(), model), k -> Counter.builder("switchboard.tenant.requests")
                    .description("Requests admitted, per tenant and model")
                    .tag("tenant", k.get(0)).tag("model", k.get(1)).register(registry)).increment();
        } else {
            rejected(caller.tenantId(), model, decision.refusedBy());
        }
    }

    /**
     * A request refused for a tenant: by a limit (its name), or for asking what its key may not
     * ({@code model_not_found}, {@code invalid_value} for max_tokens, {@code request_too_large}).
     */
    public void rejected(String tenantId, String model, String reason) {
        Counter.builder("switchboard.tenant.rejections").description("Requests refused, per tenant, model and reason")
                .tag("tenant", tenantId).tag("model", model).tag("reason", reason == null ? "other" : reason)
                .register(registry).increment();
    }

    public void used(UsageRecord r) {
        tokens(r, "prompt", r.promptTokens());
        tokens(r, "completion", r.completionTokens());
        tokens(r, "cached", r.cachedTokens());
        Counter.builder("switchboard.tenant.jobs").description("Jobs ended, per tenant, model and outcome (from usage records)")
                .tag("tenant", r.tenantId()).tag("model", r.model()).tag("outcome", r.outcome().wire()).register(registry)
                .increment();
    }

    private void tokens(UsageRecord r, String kind, long n) {
        Counter.builder("switchboard.tenant.tokens").description("Tokens used, per tenant, model and kind (from usage records)")
                .tag("tenant", r.tenantId()).tag("model", r.model()).tag("kind", kind).register(registry).increment(n);
    }
}
