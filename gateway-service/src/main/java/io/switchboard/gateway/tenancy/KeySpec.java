package io.switchboard.gateway.tenancy;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;

/**
 * A key as a platform team asks for it: the body of {@code POST /admin/v1/tenants/{id}/keys} (the platform makes
 * the key and its id), or one key of the tenants file, which names it by {@code id} and {@code sha256} (the
 * lower-case hex SHA-256 of the key, {@code printf %s "$KEY" | sha256sum}) and may give its {@code prefix}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record KeySpec(
        @Pattern(regexp = "key_[A-Za-z0-9_-]{1,64}", message = "must be key_ followed by 1 to 64 letters, digits, '_' or '-'") String id,
        @Size(max = 200) String name,
        @Pattern(regexp = "[0-9a-f]{64}", message = "must be the lower-case hex SHA-256 of the key (64 characters)") String sha256,
        @Size(max = 16) String prefix,
        @Size(min = 1, max = 1000) List<@NotBlank String> models,
        @Valid Limits limits,
        @Positive Long expiresAt) {
}
