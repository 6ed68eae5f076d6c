package io.switchboard.gateway.auth;

import java.util.HashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.error.ApiException;

/**
 * Resolves {@code Authorization: Bearer <key>} to a tenant id. Keys come from configuration for now;
 * the multi-tenant key store replaces this class, not its callers.
 */
@ApplicationScoped
public class ApiKeyAuthenticator {
    private final Map<String, String> tenantByKey = new HashMap<>();

    @Inject
    public ApiKeyAuthenticator(GatewayConfig config) {
        for (String entry : config.apiKeys()) {
            int colon = entry.indexOf(':');
            if (colon <= 0 || colon == entry.length() - 1) {
                throw new IllegalArgumentException("switchboard.gateway.api-keys entries must be written tenant:key");
            }
            tenantByKey.put(entry.substring(colon + 1).trim(), entry.substring(0, colon).trim());
        }
    }

    /** The tenant of the bearer key in {@code authorization}; 401 when missing or unknown. */
    public String tenantOf(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            throw ApiException.unauthorized("You didn't provide an API key. Provide it in the Authorization header "
                    + "as 'Bearer YOUR_KEY'.");
        }
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiException.unauthorized("The Authorization header must be 'Bearer YOUR_KEY'.");
        }
        String tenant = tenantByKey.get(authorization.substring(7).trim());
        if (tenant == null) {
            throw ApiException.unauthorized("Incorrect API key provided.");
        }
        return tenant;
    }
}
