package io.switchboard.gateway.tenancy;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import io.switchboard.schema.event.ServiceClass;

/**
 * A team that shares the fleet: its class of service (the router's band), its weight within the band, the
 * models it may use ({@code null}: all) and its {@link Limits}. Stored as this JSON in Redis and answered as it
 * by the admin API.
 *
 * @param source {@code api} (created through the admin API, stored in Redis) or {@code file} (declared in the
 *               tenants file, which alone may change it)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({ "id", "object", "name", "class", "weight", "models", "limits", "source", "created_at" })
public record Tenant(
        String id,
        String name,
        @JsonProperty("class") ServiceClass serviceClass,
        double weight,
        List<String> models,
        Limits limits,
        String source,
        long createdAt) {

    public static final String SOURCE_API = "api";
    public static final String SOURCE_FILE = "file";

    public Tenant {
        serviceClass = serviceClass == null ? ServiceClass.STANDARD : serviceClass;
        weight = weight > 0 ? weight : 1.0;
        models = models == null ? null : List.copyOf(models);
        limits = Limits.orNone(limits);
    }

    @JsonProperty("object")
    public String object() {
        return "tenant";
    }

    @JsonIgnore
    public boolean mayUse(String model) {
        return models == null || models.contains(model);
    }

    @JsonIgnore
    public boolean fromFile() {
        return SOURCE_FILE.equals(source);
    }
}
