package io.switchboard.gateway.api;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import io.switchboard.gateway.api.admin.UsageParams;
import io.switchboard.gateway.auth.Caller;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.usage.UsageQuery;
import io.switchboard.gateway.usage.UsageReport;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /v1/usage?from=&to=&group_by=model|key|day}: the calling tenant's own usage. A key sees its own tenant
 * and nothing else: naming another tenant is answered 404, as if it did not exist.
 */
@Path("/v1/usage")
@Produces(MediaType.APPLICATION_JSON)
public class UsageResource {

    @Inject
    UsageQuery usage;

    @GET
    public UsageReport usage(RoutingContext routing, @QueryParam("tenant") String tenant, @QueryParam("from") String from,
            @QueryParam("to") String to, @QueryParam("group_by") String groupBy) {
        Caller caller = ApiFilters.caller(routing);
        if (tenant != null && !tenant.isBlank() && !tenant.equals(caller.tenantId())) {
            throw new ApiException(404, "invalid_request_error", "tenant", "not_found", "No tenant with id '" + tenant + "'.");
        }
        UsageParams p = UsageParams.parse(from, to, groupBy);
        return usage.query(caller.tenantId(), p.from(), p.to(), p.groupBy());
    }
}
