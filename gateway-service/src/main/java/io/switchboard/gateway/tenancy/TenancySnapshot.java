package io.switchboard.gateway.tenancy;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a gateway knows of tenants and keys at one moment, indexed for the hot path: a key's SHA-256 to the
 * key, and ids to tenants and keys. Immutable; the registry swaps in a new one on every change.
 *
 * @param version the Redis tenancy version it was read at (-1 before the first read)
 */
public record TenancySnapshot(long version, Map<String, Tenant> tenants, Map<String, ApiKey> keysById,
        Map<String, ApiKey> keysByHash) {

    public static final TenancySnapshot EMPTY = of(-1, List.of(), List.of());

    /** Indexes tenants and keys; a later entry with the same id replaces an earlier one (file after Redis). */
    public static TenancySnapshot of(long version, Collection<Tenant> tenants, Collection<ApiKey> keys) {
        Map<String, Tenant> byId = new HashMap<>();
        tenants.forEach(t -> byId.put(t.id(), t));
        Map<String, ApiKey> keysById = new HashMap<>();
        Map<String, ApiKey> keysByHash = new HashMap<>();
        for (ApiKey k : keys) {
            if (byId.containsKey(k.tenantId())) {
                keysById.put(k.id(), k);
                keysByHash.put(k.sha256(), k);
            }
        }
        return new TenancySnapshot(version, Map.copyOf(byId), Map.copyOf(keysById), Map.copyOf(keysByHash));
    }

    public Optional<Tenant> tenant(String id) {
        return Optional.ofNullable(tenants.get(id));
    }

    public Optional<ApiKey> key(String id) {
        return Optional.ofNullable(keysById.get(id));
    }

    public List<ApiKey> keysOf(String tenantId) {
        return keysById.values().stream().filter(k -> k.tenantId().equals(tenantId))
                .sorted(java.util.Comparator.comparingLong(ApiKey::createdAt).thenComparing(ApiKey::id)).toList();
    }
}
