package io.switchboard.gateway.limits;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

import io.switchboard.schema.wire.RedisKeys;

/**
 * What admission counted for one job: under which scopes (the tenant's, and the key's when it has limits of its
 * own); how many tokens is in Redis, in the reservation hash. Its Redis keys follow from the tenant, the key and the admission time alone, so the
 * usage record of the job (which carries all three) finds them again.
 */
public record Reservation(String jobId, String tenantId, String keyId, boolean keyScope, long atMs) {
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyyMM").withZone(ZoneOffset.UTC);

    /** The six keys of each scope, tenant first (see {@link LimitScripts}). */
    List<String> scopeKeys() {
        List<String> keys = new ArrayList<>(12);
        addScope(keys, RedisKeys.limitScope(tenantId, "t"));
        if (keyScope) {
            addScope(keys, RedisKeys.limitScope(tenantId, "k:" + keyId));
        }
        return keys;
    }

    String reservationKey() {
        return RedisKeys.reservation(tenantId, jobId);
    }

    private void addScope(List<String> keys, String prefix) {
        Instant at = Instant.ofEpochMilli(atMs);
        keys.add(prefix + "requests");
        keys.add(prefix + "tokens");
        keys.add(prefix + "tokens:sum");
        keys.add(prefix + "concurrent");
        keys.add(prefix + "day:" + DAY.format(at));
        keys.add(prefix + "month:" + MONTH.format(at));
    }

    /** The UTC day of an instant as the usage views and budgets name it ({@code yyyymmdd}). */
    public static String day(long epochMs) {
        return DAY.format(Instant.ofEpochMilli(epochMs));
    }
}
