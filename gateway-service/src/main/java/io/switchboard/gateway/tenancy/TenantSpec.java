package io.switchboard.gateway.tenancy;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;

import io.switchboard.schema.event.ServiceClass;

/**
 * A tenant as a platform team writes it: the body of {@code POST /admin/v1/tenants} (and, merged with a patch,
 * of {@code PATCH}), and one entry of the tenants file, where it may also list the tenant's {@code keys} (by hash).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TenantSpec(
        @NotBlank @Pattern(regexp = ID_PATTERN, message = ID_MESSAGE) String id,
        @Size(max = 200) String name,
        @JsonProperty("class") @Pattern(regexp = "critical|standard|batch", message = "must be critical, standard or batch") String serviceClass,
        @Positive @Max(1000) Double weight,
        @Size(min = 1, max = 1000) List<@NotBlank String> models,
        @Valid Limits limits,
        List<@Valid @NotNull KeySpec> keys) {

    public static final String ID_PATTERN = "[a-z0-9][a-z0-9._-]{0,62}";
    public static final String ID_MESSAGE = "must be 1 to 63 characters: lower-case letters, digits, '.', '_' or '-', "
            + "starting with a letter or digit";

    public Tenant toTenant(String source, long createdAtSec) {
        return new Tenant(id, name == null ? id : name, ServiceClass.of(serviceClass), weight == null ? 1.0 : weight, models, limits, source,
                createdAtSec);
    }

    public static TenantSpec of(Tenant t) {
        return new TenantSpec(t.id(), t.name(), t.serviceClass().wire(), t.weight(), t.models(),
                t.limits().any() ? t.limits() : null, null);
    }
}
