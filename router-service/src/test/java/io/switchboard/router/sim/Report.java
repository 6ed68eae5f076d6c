package io.switchboard.router.sim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.switchboard.router.sim.Simulation.Policy;
import io.switchboard.schema.event.ServiceClass;

/** Runs scenarios under every policy (and their reference runs) and prints the side-by-side tables. */
final class Report {
    private Report() {
    }

    /** One scenario's runs. */
    record Runs(Scenario scenario, Map<Policy, Result> byPolicy, Result reference, Goals.Verdict verdict) {
    }

    static Runs run(Scenario sc) {
        Map<Policy, Result> byPolicy = new EnumMap<>(Policy.class);
        for (Policy p : Policy.values()) {
            byPolicy.put(p, new Simulation(sc, p).run());
        }
        Scenario ref = sc.reference();
        Result reference = ref == null ? null : new Simulation(ref, Policy.SWITCHBOARD).run();
        return new Runs(sc, byPolicy, reference, Goals.evaluate(sc, byPolicy, reference));
    }

    /** {@code Report DIR_OR_FILE...}: runs the scenarios and prints their tables (the unit-free way in). */
    public static void main(String[] args) throws IOException {
        for (String arg : args) {
            Path path = Path.of(arg);
            for (Path file : Files.isDirectory(path) ? scenarioFiles(path) : List.of(path)) {
                System.out.print(format(run(Scenario.load(file))));
            }
        }
    }

    static List<Path> scenarioFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".properties")).sorted().toList();
        }
    }

    static String format(Runs runs) {
        Scenario sc = runs.scenario();
        StringBuilder out = new StringBuilder();
        out.append(String.format("%n## %s: %s%n", sc.name(), sc.description()));
        out.append(String.format("fleet: %s; %d slots; %.0f s (%.0f s warm-up); scorers %s%n", fleet(sc), sc.totalSlots(),
                sc.durationS(), sc.warmupS(), String.join(",", sc.scorers())));
        out.append(String.format("%-12s %-9s %7s %9s %9s %9s %9s %6s %8s  %s%n", "policy", "class", "jobs", "ttft p50",
                "ttft p99", "wait p50", "wait p99", "jain", "prefix", "refused"));
        List<Result> rows = new ArrayList<>(runs.byPolicy().values());
        if (runs.reference() != null) {
            rows.add(runs.reference());
        }
        for (Result r : rows) {
            String label = r == runs.reference() ? "reference" : r.policy.label;
            for (ServiceClass c : ServiceClass.values()) {
                List<Double> ttft = r.ttfts(c);
                boolean present = r.tenants.values().stream().anyMatch(t -> t.spec.serviceClass() == c && t.offered > 0);
                if (!present) {
                    continue;
                }
                double jain = r.jain(c);
                out.append(String.format("%-12s %-9s %7d %9s %9s %9s %9s %6s %7.1f%%  %s%n", label, c.wire(), ttft.size(),
                        ms(Result.quantile(ttft, 0.5)), ms(Result.quantile(ttft, 0.99)), ms(Result.quantile(r.waits(c), 0.5)),
                        ms(Result.quantile(r.waits(c), 0.99)), Double.isNaN(jain) ? "-" : String.format("%.3f", jain),
                        100 * r.prefixHitRate(), refused(r, c)));
            }
        }
        out.append(String.format("%-10s %-9s %5s %8s | %s | %s%n", "tenant", "class", "wght", "offer/s",
                "tokens/s " + labels(), "p99 wait ms " + labels()));
        for (Scenario.TenantSpec t : sc.tenants()) {
            StringBuilder tps = new StringBuilder();
            StringBuilder wait = new StringBuilder();
            for (Result r : runs.byPolicy().values()) {
                Result.TenantStats s = r.tenants.get(t.id());
                tps.append(String.format(" %8.0f%s", r.tokensPerSecond(s), s.isBacklogged() ? "*" : " "));
                wait.append(String.format(" %9s", ms(Result.quantile(s.waits, 0.99))));
            }
            out.append(String.format("%-10s %-9s %5.1f %8.2f | %-9s%s | %-12s%s%n", t.id(), t.serviceClass().wire(), t.weight(),
                    t.rate(), "", tps, "", wait));
        }
        out.append("(* backlogged: a job waiting at >= 90% of the samples; jain is over their weighted token service)\n");
        Goals.Verdict v = runs.verdict();
        out.append(String.format("GOAL %s: %s%n      %s%n", v.goal(), v.met() ? "MET" : "MISSED", v.measured()));
        return out.toString();
    }

    private static String labels() {
        StringBuilder b = new StringBuilder("(");
        for (Policy p : Policy.values()) {
            b.append(p.label).append(p.ordinal() < Policy.values().length - 1 ? " / " : ")");
        }
        return b.toString();
    }

    private static String fleet(Scenario sc) {
        StringBuilder b = new StringBuilder();
        for (Scenario.WorkerSpec w : sc.workers()) {
            b.append(b.length() == 0 ? "" : " + ").append(w.count()).append("x{").append(w.slots()).append(" slots, prefill ")
                    .append((long) w.prefillTps()).append(" tok/s, decode ").append((long) w.decodeTps()).append(" tok/s, cache ")
                    .append(w.cacheBlocks()).append(" blocks").append(w.failAtS() >= 0 ? ", fails at " + w.failAtS() + " s" : "")
                    .append("}");
        }
        return b.toString();
    }

    private static String refused(Result r, ServiceClass c) {
        java.util.Map<String, Integer> byCode = new java.util.TreeMap<>();
        for (Result.TenantStats t : r.tenants.values()) {
            if (t.spec.serviceClass() == c) {
                t.refused.forEach((k, n) -> byCode.merge(k, n, Integer::sum));
            }
        }
        return byCode.isEmpty() ? "-" : byCode.toString().replaceAll("[{}]", "");
    }

    private static String ms(double v) {
        return Double.isNaN(v) ? "-" : String.format("%.0f", v);
    }
}
