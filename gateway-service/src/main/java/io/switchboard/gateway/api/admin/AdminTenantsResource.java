package io.switchboard.gateway.api.admin;

import java.util.List;

import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.switchboard.gateway.tenancy.ApiKey;
import io.switchboard.gateway.tenancy.KeySpec;
import io.switchboard.gateway.tenancy.Tenant;
import io.switchboard.gateway.tenancy.TenantAdmin;
import io.switchboard.gateway.tenancy.TenantSpec;
import io.switchboard.schema.wire.Json;

/**
 * The admin API for tenants and their keys ({@code /admin/v1}, bearer {@code SWITCHBOARD_ADMIN_KEY}). Thin: every
 * decision is {@link TenantAdmin}'s; bodies are checked with Bean Validation.
 */
@AdminApi
@Path("/admin/v1")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class AdminTenantsResource {

    @Inject
    TenantAdmin admin;

    /** {@code {"object":"list","data":[...]}}. */
    public record ListOf<T>(String object, List<T> data) {
        static <T> ListOf<T> of(List<T> data) {
            return new ListOf<>("list", data);
        }
    }

    /** What a DELETE answers, as OpenAI does. */
    public record Deleted(String id, String object, boolean deleted) {
    }

    @POST
    @Path("tenants")
    public Response create(@Valid @NotNull TenantSpec body) {
        return Response.status(201).entity(admin.create(body)).build();
    }

    @GET
    @Path("tenants")
    public ListOf<Tenant> list() {
        return ListOf.of(admin.tenants());
    }

    @GET
    @Path("tenants/{id}")
    public Tenant get(@PathParam("id") String id) {
        return admin.tenant(id);
    }

    /** A JSON merge patch of the tenant (RFC 7396): {@code null} removes a field, such as one limit. */
    @PATCH
    @Path("tenants/{id}")
    @Consumes({ MediaType.APPLICATION_JSON, "application/merge-patch+json" })
    public Tenant patch(@PathParam("id") String id, JsonNode body) {
        return admin.patch(id, body);
    }

    @DELETE
    @Path("tenants/{id}")
    public Deleted delete(@PathParam("id") String id) {
        admin.delete(id);
        return new Deleted(id, "tenant.deleted", true);
    }

    /** The new key is in {@code key}, shown this once; only its {@code prefix} is ever shown again. */
    @POST
    @Path("tenants/{id}/keys")
    public Response createKey(@PathParam("id") String id, @Valid KeySpec body) {
        TenantAdmin.CreatedKey created = admin.createKey(id, body == null ? new KeySpec(null, null, null, null, null, null, null) : body);
        ObjectNode json = Json.MAPPER.valueToTree(created.key().redacted());
        json.put("key", created.secret());
        return Response.status(201).entity(json).build();
    }

    @GET
    @Path("tenants/{id}/keys")
    public ListOf<ApiKey> keys(@PathParam("id") String id) {
        return ListOf.of(admin.keys(id).stream().map(ApiKey::redacted).toList());
    }

    /** Revokes the key; every gateway replica refuses it as the change's notice reaches it (see TenantRegistry). */
    @DELETE
    @Path("keys/{keyId}")
    public Deleted revoke(@PathParam("keyId") String keyId) {
        admin.revokeKey(keyId);
        return new Deleted(keyId, "api_key.deleted", true);
    }
}
