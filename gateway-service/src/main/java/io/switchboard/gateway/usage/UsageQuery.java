package io.switchboard.gateway.usage;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.redis.datasource.RedisDataSource;
import io.switchboard.schema.wire.RedisKeys;

/** Reads the per-day usage views the {@link UsageLedger} keeps, and sums them over days, grouped as asked. */
@ApplicationScoped
public class UsageQuery {
    private static final DateTimeFormatter DAY = DateTimeFormatter.BASIC_ISO_DATE;
    private static final List<String> MEASURES = List.of("requests", "prompt_tokens", "completion_tokens", "cached_tokens");

    public enum GroupBy {
        NONE, MODEL, KEY, DAY
    }

    private final RedisDataSource redis;

    @Inject
    public UsageQuery(RedisDataSource redis) {
        this.redis = redis;
    }

    /** Usage of {@code tenant} (every tenant when null) from {@code from} to {@code to}, both included. */
    public UsageReport query(String tenant, LocalDate from, LocalDate to, GroupBy groupBy) {
        Map<List<String>, long[]> sums = new TreeMap<>((a, b) -> String.join("\u0000", a).compareTo(String.join("\u0000", b)));
        for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
            String day = DAY.format(d);
            LocalDate date = d;
            Set<String> tenants = tenant != null ? Set.of(tenant)
                    : new TreeSet<>(redis.set(String.class).smembers(RedisKeys.usageTenantsOfDay(day)));
            for (String t : tenants) {
                Map<String, String> fields = redis.hash(String.class).hgetall(RedisKeys.usageDay(t, day));
                fields.forEach((field, value) -> add(sums, t, date, field, Long.parseLong(value), groupBy));
            }
        }
        List<UsageReport.Row> rows = new ArrayList<>();
        sums.forEach((group, m) -> rows.add(new UsageReport.Row(group.get(0),
                groupBy == GroupBy.MODEL ? group.get(1) : null, groupBy == GroupBy.KEY ? group.get(1) : null,
                groupBy == GroupBy.DAY ? group.get(1) : null, m[0], m[1], m[2], m[3])));
        return new UsageReport(from.toString(), to.toString(), groupBy == GroupBy.NONE ? null : groupBy.name().toLowerCase(), rows);
    }

    /** Adds one hash field to its group: {@code measure} (totals), {@code model:<id>:measure} or {@code key:<id>:measure}. */
    private static void add(Map<List<String>, long[]> sums, String tenant, LocalDate day, String field, long value, GroupBy groupBy) {
        int lastColon = field.lastIndexOf(':');
        String measure = field.substring(lastColon + 1);
        int index = MEASURES.indexOf(measure);
        if (index < 0) {
            return; // outcome counters
        }
        String scope = lastColon < 0 ? "" : field.substring(0, lastColon);
        String group;
        switch (groupBy) {
            case MODEL -> {
                if (!scope.startsWith("model:")) {
                    return;
                }
                group = scope.substring("model:".length());
            }
            case KEY -> {
                if (!scope.startsWith("key:")) {
                    return;
                }
                group = scope.substring("key:".length());
            }
            case DAY -> {
                if (!scope.isEmpty()) {
                    return;
                }
                group = day.toString();
            }
            default -> {
                if (!scope.isEmpty()) {
                    return;
                }
                group = "";
            }
        }
        sums.computeIfAbsent(List.of(tenant, group), k -> new long[4])[index] += value;
    }
}
