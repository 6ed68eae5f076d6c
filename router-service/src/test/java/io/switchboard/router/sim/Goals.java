package io.switchboard.router.sim;

import java.util.Map;

import io.switchboard.router.sim.Simulation.Policy;
import io.switchboard.schema.event.ServiceClass;

/** The goals, each measured on its scenario's runs (and reference run). */
final class Goals {
    private Goals() {
    }

    record Verdict(String goal, boolean met, String measured) {
    }

    static Verdict evaluate(Scenario sc, Map<Policy, Result> runs, Result reference) {
        Result sw = runs.get(Policy.SWITCHBOARD);
        return switch (sc.goal()) {
            case "critical-isolation" -> {
                double max = Double.parseDouble(sc.goalParams().getOrDefault("max-ratio", "1.2"));
                double loaded = p99(sw, ServiceClass.CRITICAL);
                double unloaded = p99(reference, ServiceClass.CRITICAL);
                double fcfs = p99(runs.get(Policy.FCFS), ServiceClass.CRITICAL);
                double ratio = loaded / unloaded;
                yield new Verdict("1. critical p99 TTFT <= " + max + "x unloaded while batch offers "
                        + sc.goalParams().getOrDefault("batch-load", "3") + "x capacity", ratio <= max,
                        String.format("critical p99 TTFT %.0f ms loaded vs %.0f ms unloaded: %.2fx (fcfs: %.0f ms, %.2fx)",
                                loaded, unloaded, ratio, fcfs, fcfs / unloaded));
            }
            case "fairness" -> {
                ServiceClass c = ServiceClass.of(sc.goalParams().getOrDefault("class", "standard"));
                double minJain = Double.parseDouble(sc.goalParams().getOrDefault("min-jain", "0.95"));
                double maxRatio = Double.parseDouble(sc.goalParams().getOrDefault("max-ratio", "1.5"));
                String light = sc.goalParams().get("light-tenant");
                double jain = sw.jain(c);
                double flooded = Result.quantile(sw.tenants.get(light).waits, 0.99);
                double calm = Result.quantile(reference.tenants.get(light).waits, 0.99);
                double fcfsFlooded = Result.quantile(runs.get(Policy.FCFS).tenants.get(light).waits, 0.99);
                // a wait under 1 ms counts as 1 ms: the ratio of two near-zero waits says nothing
                double ratio = Math.max(flooded, 1) / Math.max(calm, 1);
                yield new Verdict("2. Jain >= " + minJain + " among backlogged " + c.wire() + " tenants; a 10x flood raises "
                        + light + "'s p99 queue wait <= " + maxRatio + "x", jain >= minJain && ratio <= maxRatio,
                        String.format("Jain %.3f (fcfs %.3f); %s p99 wait %.0f ms flooded vs %.0f ms not: %.2fx (fcfs flooded: %.0f ms)",
                                jain, runs.get(Policy.FCFS).jain(c), light, flooded, calm, ratio, fcfsFlooded));
            }
            case "heterogeneous" -> {
                double minGain = Double.parseDouble(sc.goalParams().getOrDefault("min-gain", "0.30"));
                double s = Result.quantile(sw.allTtfts(), 0.99);
                double rr = Result.quantile(runs.get(Policy.ROUND_ROBIN).allTtfts(), 0.99);
                double lo = Result.quantile(runs.get(Policy.LOAD_ONLY).allTtfts(), 0.99);
                double rrFree = Result.quantile(runs.get(Policy.ROUND_ROBIN_FREE).allTtfts(), 0.99);
                double gain = 1 - s / rr;
                yield new Verdict("3. capacity-aware placement beats round-robin p99 TTFT by >= " + (int) (minGain * 100)
                        + "% on heterogeneous workers", gain >= minGain,
                        String.format("p99 TTFT switchboard %.0f ms, load-only %.0f ms, round-robin %.0f ms: %.0f%% better"
                                + " (round-robin among free slots behind the real queue: %.0f ms, %.0f%% better)", s, lo, rr,
                                gain * 100, rrFree, 100 * (1 - s / rrFree)));
            }
            case "prefix" -> {
                double minFactor = Double.parseDouble(sc.goalParams().getOrDefault("min-factor", "2"));
                Result lo = runs.get(Policy.LOAD_ONLY);
                double s = Result.quantile(sw.allTtfts(), 0.99);
                double l = Result.quantile(lo.allTtfts(), 0.99);
                double factor = sw.prefixHitRate() / lo.prefixHitRate();
                yield new Verdict("4. prefix affinity + load >= " + minFactor + "x the prefix-cache hit rate of load-only, "
                        + "p99 TTFT no worse", factor >= minFactor && s <= l,
                        String.format("hit rate %.1f%% vs %.1f%% (%.2fx); p99 TTFT %.0f ms vs %.0f ms", 100 * sw.prefixHitRate(),
                                100 * lo.prefixHitRate(), factor, s, l));
            }
            default -> new Verdict("(no goal)", true, "");
        };
    }

    static double p99(Result r, ServiceClass c) {
        return Result.quantile(r.ttfts(c), 0.99);
    }
}
