package io.switchboard.gateway.auth;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.tenancy.ApiKeys;

/** Checks the admin API's bearer key ({@code SWITCHBOARD_ADMIN_KEY}) in constant time; with none configured, nobody is admin. */
@ApplicationScoped
public class AdminAuthenticator {
    private final byte[] adminDigest;

    @Inject
    public AdminAuthenticator(GatewayConfig config) {
        this.adminDigest = config.tenancy().adminKey().filter(k -> !k.isBlank()).map(ApiKeys::digest).orElse(null);
    }

    public void authenticate(String authorization) {
        String key = Bearer.token(authorization);
        if (adminDigest == null) {
            throw ApiException.unauthorized("The admin API is disabled: set SWITCHBOARD_ADMIN_KEY on the gateway.");
        }
        if (!ApiKeys.sameHash(adminDigest, ApiKeys.digest(key))) {
            throw ApiException.unauthorized("Incorrect admin key provided.");
        }
    }
}
