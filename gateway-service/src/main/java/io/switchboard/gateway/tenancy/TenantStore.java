package io.switchboard.gateway.tenancy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.smallrye.mutiny.Uni;
import io.switchboard.gateway.redis.LuaScript;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;
import io.vertx.mutiny.redis.client.Response;

/**
 * The system of record of tenants and API keys: two Redis hashes ({@link RedisKeys#TENANTS}, {@link RedisKeys#API_KEYS})
 * of JSON, and a version counter bumped by the same script as every change and published on
 * {@link RedisKeys#TENANCY_CHANGES}, which tells every gateway to reload.
 * Run Redis with AOF persistence (the launcher and the Kubernetes manifests do).
 */
@ApplicationScoped
public class TenantStore {
    private static final List<String> ALL_KEYS = List.of(RedisKeys.TENANCY_VERSION, RedisKeys.TENANTS, RedisKeys.API_KEYS);
    /** The version with every tenant and key, read atomically. */
    private static final LuaScript LOAD = new LuaScript("""
            return {redis.call('GET', KEYS[1]) or '0', redis.call('HVALS', KEYS[2]), redis.call('HVALS', KEYS[3])}
            """);
    /**
     * HSET (HSETNX when ARGV[3] is "nx") one field, bump the version and publish it on {@link RedisKeys#TENANCY_CHANGES};
     * 0 if nx found the field taken.
     */
    private static final LuaScript PUT = new LuaScript("""
            if ARGV[3] == 'nx' then
              if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
            else
              redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
            end
            redis.call('PUBLISH', '%s', redis.call('INCR', KEYS[2]))
            return 1
            """.formatted(RedisKeys.TENANCY_CHANGES));
    /** HDEL a tenant, store its revoked keys (ARGV[2..]: id, json pairs), bump and publish the version; 0 if absent. */
    private static final LuaScript DELETE_TENANT = new LuaScript("""
            if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
            for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
            redis.call('PUBLISH', '%s', redis.call('INCR', KEYS[3]))
            return 1
            """.formatted(RedisKeys.TENANCY_CHANGES));

    private final RedisDataSource redis;
    private final ReactiveRedisDataSource reactive;

    @Inject
    public TenantStore(RedisDataSource redis, ReactiveRedisDataSource reactive) {
        this.redis = redis;
        this.reactive = reactive;
    }

    /** Everything stored, with the version it was read at. */
    public Uni<TenancySnapshot> load() {
        return LOAD.run(reactive, ALL_KEYS, List.of()).map(r -> {
            List<Tenant> tenants = new ArrayList<>();
            for (Response json : r.get(1)) {
                tenants.add(Json.read(json.toString(), Tenant.class));
            }
            List<ApiKey> keys = new ArrayList<>();
            for (Response json : r.get(2)) {
                keys.add(Json.read(json.toString(), ApiKey.class));
            }
            return TenancySnapshot.of(Long.parseLong(r.get(0).toString()), tenants, keys);
        });
    }

    /** The current version; cheap enough to poll. */
    public Uni<Long> version() {
        return reactive.value(Long.class).get(RedisKeys.TENANCY_VERSION).map(v -> v == null ? 0L : v);
    }

    /** Creates a tenant; false when the id is taken. */
    public boolean create(Tenant tenant) {
        return put(RedisKeys.TENANTS, tenant.id(), Json.write(tenant), true);
    }

    public void update(Tenant tenant) {
        put(RedisKeys.TENANTS, tenant.id(), Json.write(tenant), false);
    }

    /** Deletes a tenant and stores its keys revoked (kept, so usage still names them); false when it did not exist. */
    public boolean delete(String tenantId, List<ApiKey> revokedKeys) {
        List<String> args = new ArrayList<>(List.of(tenantId));
        for (ApiKey k : revokedKeys) {
            args.add(k.id());
            args.add(Json.write(k));
        }
        return DELETE_TENANT.runBlocking(redis, List.of(RedisKeys.TENANTS, RedisKeys.API_KEYS, RedisKeys.TENANCY_VERSION), args)
                .toLong() == 1;
    }

    public void putKey(ApiKey key) {
        put(RedisKeys.API_KEYS, key.id(), Json.write(key), false);
    }

    public Optional<ApiKey> key(String keyId) {
        return Optional.ofNullable(redis.hash(String.class).hget(RedisKeys.API_KEYS, keyId)).map(j -> Json.read(j, ApiKey.class));
    }

    private boolean put(String hash, String field, String json, boolean onlyIfAbsent) {
        return PUT.runBlocking(redis, List.of(hash, RedisKeys.TENANCY_VERSION), List.of(field, json, onlyIfAbsent ? "nx" : "set"))
                .toLong() == 1;
    }
}
