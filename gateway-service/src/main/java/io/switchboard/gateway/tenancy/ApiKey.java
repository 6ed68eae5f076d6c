package io.switchboard.gateway.tenancy;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * One API key of a tenant, as stored: never the key itself, only its SHA-256 ({@code sha256}, hex) and the first
 * characters ({@code prefix}) to recognise it by. A key may narrow, never widen, its tenant's models and limits;
 * it stops working at {@code expiresAt} or once revoked. The admin API answers it without the hash.
 *
 * @param expiresAt unix seconds, or null for no expiry
 * @param revokedAt unix seconds, or null while active
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({ "id", "object", "tenant_id", "name", "prefix", "models", "limits", "created_at", "expires_at",
        "revoked_at", "source" })
public record ApiKey(
        String id,
        String tenantId,
        String name,
        String prefix,
        String sha256,
        List<String> models,
        Limits limits,
        long createdAt,
        Long expiresAt,
        Long revokedAt,
        String source) {

    public ApiKey {
        models = models == null ? null : List.copyOf(models);
        limits = Limits.orNone(limits);
    }

    @JsonProperty("object")
    public String object() {
        return "api_key";
    }

    /** Whether the key authenticates at {@code nowSec}. */
    @JsonIgnore
    public boolean activeAt(long nowSec) {
        return revokedAt == null && (expiresAt == null || nowSec < expiresAt);
    }

    @JsonIgnore
    public boolean mayUse(String model) {
        return models == null || models.contains(model);
    }

    public ApiKey revoked(long nowSec) {
        return new ApiKey(id, tenantId, name, prefix, sha256, models, limits, createdAt, expiresAt, nowSec, source);
    }

    /** The key as the admin API shows it: without its hash. */
    public ApiKey redacted() {
        return new ApiKey(id, tenantId, name, prefix, null, models, limits, createdAt, expiresAt, revokedAt, source);
    }
}
