package io.switchboard.router.sim;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import io.switchboard.schema.event.ServiceClass;

/**
 * A simulated workload and fleet, read from a {@code .properties} file (see {@code deploy/sim/README.md} for every key).
 * Keys under {@code reference.} override the others to make the scenario's reference run (the same fleet unloaded, or
 * without the flood), against which its goal is measured.
 */
record Scenario(String name, String description, String goal, long seed, double durationS, double warmupS,
        double timeoutS, String model, List<String> scorers, long batchMaxWaitMs, int maxQueuedPerTenant,
        int maxQueuedPerModel, int prefixIndexBlocks, List<WorkerSpec> workers, List<TenantSpec> tenants,
        Map<String, String> goalParams, Properties source) {

    /** {@code count} identical workers. */
    record WorkerSpec(String id, int count, int slots, double prefillTps, double decodeTps, int cacheBlocks, double failAtS,
            boolean priorityPrefill) {
    }

    /**
     * One tenant's traffic: {@code rate} jobs/s (Poisson, or {@code bursty}: all of it in on-periods of
     * {@code burstOnS} every {@code burstOnS + burstOffS}), prompt and output lengths in tokens, and the share of its
     * jobs that begin with one of its {@code prefixes} shared prefixes of {@code prefixTokens} tokens.
     */
    record TenantSpec(String id, ServiceClass serviceClass, double weight, double rate, String arrival, double burstOnS,
            double burstOffS, double startS, double stopS, Distribution promptTokens, Distribution outputTokens,
            double sharedPrefixFraction, int prefixes, int prefixTokens) {
    }

    static Scenario load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        String fallback = file.getFileName().toString().replaceFirst("\\.properties$", "");
        if (!p.containsKey("name")) {
            p.setProperty("name", fallback);
        }
        return parse(p);
    }

    static Scenario parse(Properties p) {
        List<WorkerSpec> workers = new ArrayList<>();
        for (String id : list(p, "workers")) {
            String k = "worker." + id + ".";
            workers.add(new WorkerSpec(id, integer(p, k + "count", 1), integer(p, k + "slots", 8),
                    number(p, k + "prefill-tps", 4000), number(p, k + "decode-tps", 50), integer(p, k + "cache-blocks", 4096),
                    number(p, k + "fail-at-s", -1), Boolean.parseBoolean(p.getProperty(k + "priority-prefill", "false"))));
        }
        List<TenantSpec> tenants = new ArrayList<>();
        for (String id : list(p, "tenants")) {
            String k = "tenant." + id + ".";
            tenants.add(new TenantSpec(id, ServiceClass.of(p.getProperty(k + "class", "standard")), number(p, k + "weight", 1),
                    number(p, k + "rate", 1), p.getProperty(k + "arrival", "poisson"), number(p, k + "burst-on-s", 5),
                    number(p, k + "burst-off-s", 15), number(p, k + "start-s", 0), number(p, k + "stop-s", Double.MAX_VALUE),
                    Distribution.parse(p.getProperty(k + "prompt-tokens", "uniform:100:400")),
                    Distribution.parse(p.getProperty(k + "output-tokens", "uniform:50:200")),
                    number(p, k + "shared-prefix-fraction", 0), integer(p, k + "prefixes", 1),
                    integer(p, k + "prefix-tokens", 0)));
        }
        Map<String, String> goalParams = new LinkedHashMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("goal.")) {
                goalParams.put(key.substring(5), p.getProperty(key));
            }
        }
        return new Scenario(p.getProperty("name", "scenario"), p.getProperty("description", ""), p.getProperty("goal", "none"),
                Long.parseLong(p.getProperty("seed", "1")), number(p, "duration-s", 600), number(p, "warmup-s", 60),
                number(p, "timeout-s", 60), p.getProperty("model", "m"),
                list(p, "router.scorers").isEmpty() ? List.of("prefix-affinity:1", "least-loaded:2", "recent-start:2") : list(p, "router.scorers"),
                (long) (number(p, "router.batch-max-wait-s", 30) * 1000), integer(p, "router.max-queued-per-tenant", 1000),
                integer(p, "router.max-queued-per-model", 10_000), integer(p, "router.prefix-index-blocks", 16_384), workers,
                tenants, goalParams, p);
    }

    /** The reference run: this scenario with its {@code reference.*} keys applied; null when it has none. */
    Scenario reference() {
        Properties ref = new Properties();
        boolean any = false;
        for (String key : source.stringPropertyNames()) {
            if (!key.startsWith("reference.")) {
                ref.setProperty(key, source.getProperty(key));
            }
        }
        for (String key : source.stringPropertyNames()) {
            if (key.startsWith("reference.")) {
                ref.setProperty(key.substring("reference.".length()), source.getProperty(key));
                any = true;
            }
        }
        return any ? parse(ref) : null;
    }

    /** This scenario with {@code key=value} set (a shorter run in the unit test, say). */
    Scenario with(String key, String value) {
        Properties copy = new Properties();
        copy.putAll(source);
        copy.setProperty(key, value);
        return parse(copy);
    }

    int totalSlots() {
        return workers.stream().mapToInt(w -> w.count() * w.slots()).sum();
    }

    private static List<String> list(Properties p, String key) {
        String v = p.getProperty(key, "").trim();
        return v.isEmpty() ? List.of() : Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static double number(Properties p, String key, double fallback) {
        String v = p.getProperty(key);
        return v == null ? fallback : Double.parseDouble(v.trim());
    }

    private static int integer(Properties p, String key, int fallback) {
        String v = p.getProperty(key);
        return v == null ? fallback : Integer.parseInt(v.trim());
    }
}
