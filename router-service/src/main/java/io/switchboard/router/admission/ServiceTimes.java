package io.switchboard.router.admission;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * How long a job of each model holds a slot, from dispatch to its worker's completion (router clock), as an
 * exponentially weighted mean over the finished jobs (each new one weighs {@value #ALPHA}); what predicted waits
 * divide the queue by. Not thread-safe (owned by the dispatcher's thread).
 */
public final class ServiceTimes {
    static final double ALPHA = 0.2;

    private final Map<String, Double> meanMs = new HashMap<>();

    public void observe(String model, long serviceMs) {
        meanMs.merge(model, (double) Math.max(0, serviceMs), (mean, x) -> mean + ALPHA * (x - mean));
    }

    /** The model's mean service time; empty before its first finished job. */
    public OptionalDouble meanMs(String model) {
        Double mean = meanMs.get(model);
        return mean == null ? OptionalDouble.empty() : OptionalDouble.of(mean);
    }

    /** The longest mean service time of any model (0 before any job finished): how far ahead deadlines matter. */
    public double maxMeanMs() {
        return meanMs.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }
}
