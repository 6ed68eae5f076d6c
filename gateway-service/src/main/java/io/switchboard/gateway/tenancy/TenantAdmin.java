package io.switchboard.gateway.tenancy;

import java.util.Comparator;
import java.util.List;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Validator;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.error.Errors;
import io.switchboard.schema.wire.Json;

/**
 * What the admin API does to tenants and keys: checks, then writes to the {@link TenantStore} and reloads this
 * gateway's {@link TenantRegistry} at once (the other replicas follow within their refresh interval). Tenants and
 * keys declared in the tenants file are changed there, not here (409).
 */
@ApplicationScoped
public class TenantAdmin {
    private static final Logger LOG = Logger.getLogger(TenantAdmin.class);

    private final TenantStore store;
    private final TenantRegistry registry;
    private final Validator validator;

    @Inject
    public TenantAdmin(TenantStore store, TenantRegistry registry, Validator validator) {
        this.store = store;
        this.registry = registry;
        this.validator = validator;
    }

    /** A new key, and the key itself, which is shown this once. */
    public record CreatedKey(ApiKey key, String secret) {
    }

    public List<Tenant> tenants() {
        return registry.snapshot().tenants().values().stream().sorted(Comparator.comparing(Tenant::id)).toList();
    }

    public Tenant tenant(String id) {
        return registry.snapshot().tenant(id).orElseThrow(() -> notFound("tenant", id));
    }

    public Tenant create(TenantSpec spec) {
        if (spec.keys() != null) {
            throw ApiException.invalid("keys", "invalid_value",
                    "Keys are not part of a tenant body: create them with POST /admin/v1/tenants/{id}/keys.");
        }
        if (registry.snapshot().tenant(spec.id()).isPresent()) {
            throw conflict("id", "A tenant with id '" + spec.id() + "' already exists.");
        }
        Tenant tenant = spec.toTenant(Tenant.SOURCE_API, nowSec());
        if (!store.create(tenant)) {
            throw conflict("id", "A tenant with id '" + spec.id() + "' already exists.");
        }
        LOG.infof("tenant %s created (class %s)", tenant.id(), tenant.serviceClass().wire());
        registry.refresh();
        return tenant;
    }

    /** Applies a JSON merge patch (RFC 7396) to the tenant, then checks the result as a whole. */
    public Tenant patch(String id, JsonNode patch) {
        Tenant current = modifiable(id);
        if (patch == null || !patch.isObject()) {
            throw ApiException.invalid(null, "invalid_type", "The body must be a JSON object (a merge patch of the tenant).");
        }
        if (patch.has("id") && !id.equals(patch.get("id").asText())) {
            throw ApiException.invalidValue("id", "A tenant's id cannot change.");
        }
        if (patch.has("keys")) {
            throw ApiException.invalid("keys", "invalid_value", "Keys are managed with /admin/v1/tenants/{id}/keys.");
        }
        ObjectNode merged = Json.MAPPER.valueToTree(TenantSpec.of(current));
        mergePatch(merged, patch);
        TenantSpec spec;
        try {
            spec = Json.MAPPER.treeToValue(merged, TenantSpec.class);
        } catch (Exception e) {
            throw Errors.from(e);
        }
        check(spec);
        Tenant updated = spec.toTenant(Tenant.SOURCE_API, current.createdAt());
        store.update(updated);
        LOG.infof("tenant %s updated", id);
        registry.refresh();
        return updated;
    }

    public void delete(String id) {
        modifiable(id);
        long now = nowSec();
        List<ApiKey> revoked = registry.snapshot().keysOf(id).stream().filter(k -> k.revokedAt() == null)
                .map(k -> k.revoked(now)).toList();
        if (!store.delete(id, revoked)) {
            throw notFound("tenant", id);
        }
        LOG.infof("tenant %s deleted, %d keys revoked", id, revoked.size());
        registry.refresh();
    }

    public CreatedKey createKey(String tenantId, KeySpec spec) {
        Tenant tenant = tenant(tenantId);
        if (spec.id() != null || spec.sha256() != null || spec.prefix() != null) {
            String param = spec.id() != null ? "id" : spec.sha256() != null ? "sha256" : "prefix";
            throw ApiException.invalidValue(param, "The platform makes the key, its id and its prefix; leave '" + param + "' out.");
        }
        if (spec.expiresAt() != null && spec.expiresAt() <= nowSec()) {
            throw ApiException.invalidValue("expires_at", "Invalid 'expires_at': it is in the past.");
        }
        String violation = Narrowing.violation(tenant, spec.models(), spec.limits());
        if (violation != null) {
            int colon = violation.indexOf(':');
            throw ApiException.invalidValue(violation.substring(0, colon), "Invalid '" + violation.substring(0, colon) + "'"
                    + violation.substring(colon) + ".");
        }
        String secret = ApiKeys.newKey();
        ApiKey key = new ApiKey(ApiKeys.newKeyId(), tenantId, spec.name(), ApiKeys.prefixOf(secret), ApiKeys.sha256(secret),
                spec.models(), spec.limits(), nowSec(), spec.expiresAt(), null, Tenant.SOURCE_API);
        store.putKey(key);
        LOG.infof("key %s (%s...) created for tenant %s", key.id(), key.prefix(), tenantId);
        registry.refresh();
        return new CreatedKey(key, secret);
    }

    public List<ApiKey> keys(String tenantId) {
        tenant(tenantId);
        return registry.snapshot().keysOf(tenantId);
    }

    /** Revokes a key on every replica (within their refresh interval); it stays listed, with {@code revoked_at}. */
    public ApiKey revokeKey(String keyId) {
        ApiKey key = registry.snapshot().key(keyId).or(() -> store.key(keyId)).orElseThrow(() -> notFound("key", keyId));
        if (Tenant.SOURCE_FILE.equals(key.source())) {
            throw conflict("key_id", "Key '" + keyId + "' is declared in the tenants file; remove it there.");
        }
        ApiKey revoked = key.revokedAt() != null ? key : key.revoked(nowSec());
        store.putKey(revoked);
        LOG.infof("key %s of tenant %s revoked", keyId, key.tenantId());
        registry.refresh();
        return revoked;
    }

    private Tenant modifiable(String id) {
        Tenant t = tenant(id);
        if (t.fromFile()) {
            throw conflict("id", "Tenant '" + id + "' is declared in the tenants file; change it there.");
        }
        return t;
    }

    private void check(TenantSpec spec) {
        Set<ConstraintViolation<TenantSpec>> violations = validator.validate(spec);
        if (!violations.isEmpty()) {
            throw new ConstraintViolationException(violations);
        }
    }

    /** RFC 7396: members of the patch replace the target's, a null removes, objects merge recursively. */
    static void mergePatch(ObjectNode target, JsonNode patch) {
        patch.fields().forEachRemaining(e -> {
            JsonNode value = e.getValue();
            if (value.isNull()) {
                target.remove(e.getKey());
            } else if (value.isObject() && target.get(e.getKey()) instanceof ObjectNode child) {
                mergePatch(child, value);
            } else {
                target.set(e.getKey(), value);
            }
        });
    }

    private static ApiException notFound(String what, String id) {
        return new ApiException(404, "invalid_request_error", null, "not_found", "No " + what + " with id '" + id + "'.");
    }

    private static ApiException conflict(String param, String message) {
        return new ApiException(409, "invalid_request_error", param, "conflict", message);
    }

    private static long nowSec() {
        return System.currentTimeMillis() / 1000;
    }
}
