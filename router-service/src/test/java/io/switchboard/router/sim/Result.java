package io.switchboard.router.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.switchboard.schema.event.ServiceClass;

/**
 * What one simulation run measured, over the jobs that arrived in the window (after warm-up, before the end) and the
 * tokens completed in it: per tenant, per class, and the prefix cache.
 */
final class Result {
    /** A tenant counts as backlogged when it had a job waiting at this share of the window's samples. */
    static final double BACKLOGGED = 0.9;
    static final double PROMPT_WEIGHT = 1.0;
    static final double COMPLETION_WEIGHT = 2.0;

    static final class TenantStats {
        final Scenario.TenantSpec spec;
        final List<Double> waits = new ArrayList<>();
        final List<Double> ttfts = new ArrayList<>();
        final Map<String, Integer> refused = new TreeMap<>();
        long offered;
        long promptServed;
        long completionServed;
        long samples;
        long backlogged;

        TenantStats(Scenario.TenantSpec spec) {
            this.spec = spec;
        }

        boolean isBacklogged() {
            return samples > 0 && backlogged >= BACKLOGGED * samples;
        }

        /** Weighted token service over the tenant's weight: what fair share equalises. */
        double normalisedService() {
            return (promptServed * PROMPT_WEIGHT + completionServed * COMPLETION_WEIGHT) / spec.weight();
        }

        int refusedTotal() {
            return refused.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    final Scenario scenario;
    final Simulation.Policy policy;
    final Map<String, TenantStats> tenants = new LinkedHashMap<>();
    final Map<String, Integer> refused = new TreeMap<>();
    long promptTokens;
    long cachedTokens;
    double endedAtMs;

    Result(Scenario scenario, Simulation.Policy policy) {
        this.scenario = scenario;
        this.policy = policy;
    }

    TenantStats tenant(Scenario.TenantSpec spec) {
        return tenants.computeIfAbsent(spec.id(), id -> new TenantStats(spec));
    }

    void started(TenantStats t, double waitMs, double ttftMs) {
        t.waits.add(waitMs);
        t.ttfts.add(ttftMs);
    }

    void served(TenantStats t, int prompt, int completion) {
        t.promptServed += prompt;
        t.completionServed += completion;
    }

    void refused(TenantStats t, String code) {
        t.refused.merge(code, 1, Integer::sum);
        refused.merge(code, 1, Integer::sum);
    }

    void prefilled(int prompt, int cached) {
        promptTokens += prompt;
        cachedTokens += cached;
    }

    void finish(double nowMs) {
        endedAtMs = nowMs;
    }

    double windowS() {
        return scenario.durationS() - scenario.warmupS();
    }

    double prefixHitRate() {
        return promptTokens == 0 ? 0 : (double) cachedTokens / promptTokens;
    }

    /** Tokens (prompt and completion) completed per second of the window. */
    double tokensPerSecond(TenantStats t) {
        return (t.promptServed + t.completionServed) / windowS();
    }

    List<Double> ttfts(ServiceClass c) {
        return collect(c, true);
    }

    List<Double> waits(ServiceClass c) {
        return collect(c, false);
    }

    List<Double> allTtfts() {
        List<Double> all = new ArrayList<>();
        tenants.values().forEach(t -> all.addAll(t.ttfts));
        return all;
    }

    private List<Double> collect(ServiceClass c, boolean ttft) {
        List<Double> all = new ArrayList<>();
        for (TenantStats t : tenants.values()) {
            if (t.spec.serviceClass() == c) {
                all.addAll(ttft ? t.ttfts : t.waits);
            }
        }
        return all;
    }

    /** Jain's index over the normalised service of the class's backlogged tenants; NaN when fewer than two are. */
    double jain(ServiceClass c) {
        double sum = 0;
        double squares = 0;
        int n = 0;
        for (TenantStats t : tenants.values()) {
            if (t.spec.serviceClass() == c && t.isBacklogged()) {
                double x = t.normalisedService();
                sum += x;
                squares += x * x;
                n++;
            }
        }
        return n < 2 || squares == 0 ? Double.NaN : sum * sum / (n * squares);
    }

    /** The {@code q} quantile (0..1, nearest rank) of {@code values}; NaN when empty. */
    static double quantile(List<Double> values, double q) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
    }
}
