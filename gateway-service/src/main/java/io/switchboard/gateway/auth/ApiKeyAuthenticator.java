package io.switchboard.gateway.auth;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.tenancy.ApiKey;
import io.switchboard.gateway.tenancy.ApiKeys;
import io.switchboard.gateway.tenancy.TenancySnapshot;
import io.switchboard.gateway.tenancy.Tenant;
import io.switchboard.gateway.tenancy.TenantRegistry;

/**
 * Resolves {@code Authorization: Bearer <key>} to a {@link Caller} from the registry held in memory: the key's
 * SHA-256 finds the stored key, whose hash is then compared in constant time. No network round trip, and the key
 * is never kept, logged or put in an error message.
 */
@ApplicationScoped
public class ApiKeyAuthenticator {
    private final TenantRegistry registry;

    @Inject
    public ApiKeyAuthenticator(TenantRegistry registry) {
        this.registry = registry;
    }

    /** The caller of the bearer key in {@code authorization}; 401 when missing, unknown, expired or revoked. */
    public Caller authenticate(String authorization) {
        String key = Bearer.token(authorization);
        byte[] digest = ApiKeys.digest(key);
        TenancySnapshot snapshot = registry.snapshot();
        ApiKey stored = snapshot.keysByHash().get(java.util.HexFormat.of().formatHex(digest));
        if (stored == null || !ApiKeys.sameHash(digest, ApiKeys.parseHex(stored.sha256()))) {
            throw ApiException.unauthorized("Incorrect API key provided.");
        }
        if (!stored.activeAt(System.currentTimeMillis() / 1000)) {
            throw ApiException.unauthorized("The API key " + stored.prefix() + "... has been revoked or has expired.");
        }
        Tenant tenant = snapshot.tenants().get(stored.tenantId());
        if (tenant == null) {
            throw ApiException.unauthorized("Incorrect API key provided.");
        }
        return new Caller(tenant, stored);
    }
}
