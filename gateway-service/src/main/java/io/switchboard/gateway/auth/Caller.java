package io.switchboard.gateway.auth;

import io.switchboard.gateway.tenancy.ApiKey;
import io.switchboard.gateway.tenancy.Limits;
import io.switchboard.gateway.tenancy.Tenant;

/** Who is calling: the tenant, and the key it used (which may narrow the tenant's models and limits). */
public record Caller(Tenant tenant, ApiKey key) {

    public String tenantId() {
        return tenant.id();
    }

    public String keyId() {
        return key.id();
    }

    /** Whether both the tenant and the key allow the model. */
    public boolean mayUse(String model) {
        return tenant.mayUse(model) && key.mayUse(model);
    }

    /** The cap on one request's completion tokens: the tighter of the tenant's and the key's; null when neither caps it. */
    public Long maxTokensCap() {
        return Limits.tighter(tenant.limits().maxTokens(), key.limits().maxTokens());
    }

    /** Whether any counted limit applies (if not, admission needs no Redis call at all). */
    public boolean counted() {
        return tenant.limits().counted() || key.limits().counted();
    }
}
