package io.switchboard.gateway.usage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.limits.Admission;
import io.switchboard.gateway.limits.Reservation;
import io.switchboard.gateway.redis.LuaScript;
import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.wire.RedisKeys;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;

/**
 * Applies each usage record ({@code switchboard.usage.v1}, consumed by the gateways as one group) to what depends on
 * it, once: the per-day usage views (totals, per model, per key) and the job's reservation, replaced by what the job
 * really used, which is what budgets and tokens-per-minute count from then on. A record delivered twice is applied
 * once (a per-job marker in the views script; the reservation is settled by deleting it).
 */
@ApplicationScoped
public class UsageLedger {
    private static final Logger LOG = Logger.getLogger(UsageLedger.class);
    private static final Duration APPLIED_TTL = Duration.ofDays(8);

    /**
     * KEYS: applied marker, day hash. ARGV: marker ttl ms, day ttl ms, then field, increment pairs. 0 if already
     * applied; 2 if this record started the day's hash (the first of the day, or Redis lost it), else 1.
     */
    private static final LuaScript VIEWS = new LuaScript("""
            if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 0 end
            local started = redis.call('EXISTS', KEYS[2]) == 0
            for i = 3, #ARGV, 2 do redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1]) end
            redis.call('PEXPIRE', KEYS[2], ARGV[2])
            if started then return 2 end
            return 1
            """);

    private final ReactiveRedisDataSource redis;
    private final Admission admission;
    private final TenantMetrics metrics;
    private final long retentionMs;
    /** Per day and tenant ({@code day/tenant}), when this gateway last listed the tenant among the day's (nanoTime). */
    private final Map<String, Long> indexed = new ConcurrentHashMap<>();
    private static final long INDEX_EVERY_NANOS = 60_000_000_000L;

    @Inject
    public UsageLedger(ReactiveRedisDataSource redis, Admission admission, TenantMetrics metrics, GatewayConfig config) {
        this.redis = redis;
        this.admission = admission;
        this.metrics = metrics;
        this.retentionMs = config.tenancy().usageRetention().toMillis();
    }

    @Incoming("usage")
    public Uni<Void> onUsage(UsageRecord record) {
        if (record == null) {
            return Uni.createFrom().voidItem();
        }
        return apply(record)
                .onFailure().retry().withBackOff(Duration.ofMillis(100), Duration.ofSeconds(2)).atMost(8)
                .onFailure().recoverWithItem(t -> {
                    LOG.errorf("usage of job %s of tenant %s not applied: %s", record.jobId(), record.tenantId(), t.getMessage());
                    return null;
                })
                .replaceWithVoid();
    }

    /** Applies one record; true the first time, false for a record already applied. */
    public Uni<Boolean> apply(UsageRecord r) {
        String day = Reservation.day(r.createdAtMs());
        List<String> args = new ArrayList<>(List.of(Long.toString(APPLIED_TTL.toMillis()), Long.toString(retentionMs)));
        increments(args, "", r);
        increments(args, "model:" + r.model() + ":", r);
        if (r.keyId() != null) {
            increments(args, "key:" + r.keyId() + ":", r);
        }
        args.add("outcome:" + r.outcome().wire());
        args.add("1");
        Reservation reservation = new Reservation(r.jobId(), r.tenantId(), r.keyId(), r.keyId() != null, r.createdAtMs());
        return VIEWS.run(redis, List.of(RedisKeys.usageApplied(r.tenantId(), r.jobId()), RedisKeys.usageDay(r.tenantId(), day)), args)
                .map(response -> response.toLong())
                .call(applied -> indexTenant(day, r.tenantId(), applied == 2))
                .map(applied -> applied > 0)
                .call(() -> admission.settle(reservation, r.totalTokens()))
                .invoke(first -> {
                    if (first) {
                        metrics.used(r);
                    }
                });
    }

    /**
     * Lists the tenant among the day's tenants (the usage query's index): with its first record of the day seen here,
     * then at most once a minute, not with every record, and whenever the record started the tenant's day hash (so an
     * index Redis lost is written again with the data); a failed attempt is tried again by the next record (and by
     * this record's retry).
     */
    private Uni<Void> indexTenant(String day, String tenantId, boolean startedDay) {
        String key = RedisKeys.usageTenantsOfDay(day);
        long now = System.nanoTime();
        String member = day + "/" + tenantId;
        Long last = indexed.get(member);
        if (!startedDay && last != null && now - last < INDEX_EVERY_NANOS) {
            return Uni.createFrom().voidItem();
        }
        indexed.put(member, now);
        if (indexed.size() > 100_000) {
            indexed.clear(); // days and tenants come and go: forget them all now and then, at the cost of one write each
        }
        return redis.getRedis().batch(List.of(Request.cmd(Command.SADD).arg(key).arg(tenantId),
                Request.cmd(Command.PEXPIRE).arg(key).arg(retentionMs)))
                .onFailure().invoke(() -> indexed.remove(member))
                .replaceWithVoid();
    }

    private static void increments(List<String> args, String prefix, UsageRecord r) {
        add(args, prefix + "requests", 1);
        add(args, prefix + "prompt_tokens", r.promptTokens());
        add(args, prefix + "completion_tokens", r.completionTokens());
        add(args, prefix + "cached_tokens", r.cachedTokens());
    }

    private static void add(List<String> args, String field, long value) {
        args.add(field);
        args.add(Long.toString(value));
    }
}
