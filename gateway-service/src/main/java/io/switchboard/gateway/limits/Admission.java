package io.switchboard.gateway.limits;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.auth.Caller;
import io.switchboard.gateway.tenancy.Limits;
import io.vertx.mutiny.redis.client.Response;

/**
 * Enforces a caller's limits before its job is published: one script call in Redis counts the request against
 * the tenant's and the key's requests per minute, tokens per minute (the request's estimated prompt tokens plus its
 * {@code max_tokens}, reserved now and reconciled with the real usage when the job ends), concurrent requests and
 * daily and monthly budgets, all or nothing, so any number of gateway replicas hold the limits exactly. A caller
 * without counted limits costs no Redis call at all.
 */
@ApplicationScoped
public class Admission {
    private static final Logger LOG = Logger.getLogger(Admission.class);
    static final long WINDOW_MS = 60_000;

    private final ReactiveRedisDataSource redis;
    private final long ttlMs;
    private final Timer roundTrip;

    @Inject
    public Admission(ReactiveRedisDataSource redis, GatewayConfig config, MeterRegistry metrics) {
        this.redis = redis;
        this.roundTrip = Timer.builder("switchboard.gateway.limits.check")
                .description("The admission script's round trip to Redis, for callers with counted limits")
                .publishPercentileHistogram().minimumExpectedValue(java.time.Duration.ofNanos(10_000))
                .maximumExpectedValue(java.time.Duration.ofSeconds(1)).register(metrics);
        this.ttlMs = Math.max(config.tenancy().reservationTtl().toMillis(), config.requestTimeout().toMillis() + WINDOW_MS);
    }

    /** Counts the request if every limit allows it; fails only when Redis does (the caller answers 503). */
    public Uni<AdmissionDecision> admit(Caller caller, String jobId, long tokens, long nowMs, long deadlineMs) {
        if (!caller.counted()) {
            return Uni.createFrom().item(AdmissionDecision.UNLIMITED);
        }
        Limits tenant = caller.tenant().limits();
        Limits key = caller.key().limits();
        boolean keyScope = key.counted();
        Reservation reservation = new Reservation(jobId, caller.tenantId(), caller.keyId(), keyScope, nowMs);
        List<String> keys = reservation.scopeKeys();
        keys.add(reservation.reservationKey());
        List<String> args = new ArrayList<>(List.of(jobId, Long.toString(tokens), Long.toString(deadlineMs),
                Long.toString(WINDOW_MS), Long.toString(msToDayEnd(nowMs)), Long.toString(msToMonthEnd(nowMs)),
                Long.toString(ttlMs)));
        addLimits(args, tenant);
        if (keyScope) {
            addLimits(args, key);
        }
        long sent = System.nanoTime();
        return LimitScripts.ADMIT.run(redis, keys, args)
                .invoke(() -> roundTrip.record(System.nanoTime() - sent, TimeUnit.NANOSECONDS))
                .map(r -> decision(r, reservation, concurrencyLimited(tenant) || keyScope && concurrencyLimited(key)));
    }

    /** Replaces the job's reservation by what it really used (from its usage record); idempotent. */
    public Uni<Boolean> settle(Reservation reservation, long actualTokens) {
        return run(reservation, Long.toString(actualTokens));
    }

    /** Takes back everything counted for a job that was never accepted (its publish failed); idempotent. */
    public Uni<Boolean> refund(Reservation reservation) {
        return run(reservation, "refund");
    }

    /**
     * Frees the concurrency slot of a job that {@link AdmissionDecision#holdsConcurrency() holds one} when its answer
     * ends with the job, before the client sees that end (its usage record frees it again, harmlessly). Not called when
     * the client leaves early: the job still runs until its cancel lands, and its usage record frees the slot then.
     * Never fails.
     */
    public Uni<Void> release(AdmissionDecision decision) {
        Reservation reservation = decision.reservation();
        List<String> keys = reservation.scopeKeys();
        List<Uni<Integer>> removals = new ArrayList<>(2);
        for (int i = 3; i < keys.size(); i += LimitScripts.KEYS_PER_SCOPE) {
            removals.add(redis.sortedSet(String.class).zrem(keys.get(i), reservation.jobId()));
        }
        return Uni.join().all(removals).andFailFast().replaceWithVoid().onFailure().recoverWithUni(t -> {
            LOG.debugf("concurrency of job %s not released early: %s", reservation.jobId(), t.getMessage());
            return Uni.createFrom().voidItem();
        });
    }

    private Uni<Boolean> run(Reservation reservation, String actual) {
        List<String> keys = new ArrayList<>();
        keys.add(reservation.reservationKey());
        keys.addAll(reservation.scopeKeys());
        return LimitScripts.SETTLE.run(redis, keys, List.of(reservation.jobId(), actual)).map(r -> r.toLong() == 1);
    }

    private static void addLimits(List<String> args, Limits l) {
        args.add(orUnlimited(l.requestsPerMinute()));
        args.add(orUnlimited(l.tokensPerMinute()));
        args.add(orUnlimited(l.maxConcurrentRequests()));
        args.add(orUnlimited(l.tokensPerDay()));
        args.add(orUnlimited(l.tokensPerMonth()));
    }

    private static String orUnlimited(Long limit) {
        return limit == null ? "-1" : limit.toString();
    }

    private static boolean concurrencyLimited(Limits limits) {
        return limits.maxConcurrentRequests() != null;
    }

    private static AdmissionDecision decision(Response r, Reservation reservation, boolean concurrencyLimited) {
        boolean admitted = r.get(0).toLong() == 1;
        String refusedBy = admitted ? null : r.get(1).toString();
        long retry = Math.max(0, r.get(2).toLong());
        long[] best = { -1, -1, 0, -1, -1, 0 };
        for (int i = 3; i + 5 < r.size(); i += 6) {
            pickTighter(best, 0, r.get(i).toLong(), r.get(i + 1).toLong(), r.get(i + 2).toLong());
            pickTighter(best, 3, r.get(i + 3).toLong(), r.get(i + 4).toLong(), r.get(i + 5).toLong());
        }
        RateLimitStatus status = new RateLimitStatus(best[0], best[1], best[2], best[3], best[4], best[5]);
        return new AdmissionDecision(admitted, refusedBy, retry, status, admitted ? reservation : null,
                admitted && concurrencyLimited);
    }

    /** Keeps the limit with the least remaining (a limit of -1 is none). */
    private static void pickTighter(long[] best, int at, long limit, long remaining, long resetMs) {
        if (limit < 0) {
            return;
        }
        if (best[at] < 0 || remaining < best[at + 1]) {
            best[at] = limit;
            best[at + 1] = remaining;
            best[at + 2] = resetMs;
        }
    }

    static long msToDayEnd(long nowMs) {
        LocalDate today = LocalDate.ofEpochDay(Math.floorDiv(nowMs, 86_400_000L));
        return today.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli() - nowMs;
    }

    static long msToMonthEnd(long nowMs) {
        LocalDate today = LocalDate.ofEpochDay(Math.floorDiv(nowMs, 86_400_000L));
        return today.withDayOfMonth(1).plusMonths(1).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli() - nowMs;
    }
}
