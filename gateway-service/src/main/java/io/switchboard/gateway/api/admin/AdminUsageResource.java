package io.switchboard.gateway.api.admin;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import io.switchboard.gateway.usage.UsageQuery;
import io.switchboard.gateway.usage.UsageReport;

/** {@code GET /admin/v1/usage?tenant=&from=&to=&group_by=model|key|day}: usage of one tenant or of all. */
@AdminApi
@Path("/admin/v1/usage")
@Produces(MediaType.APPLICATION_JSON)
public class AdminUsageResource {

    @Inject
    UsageQuery usage;

    @GET
    public UsageReport usage(@QueryParam("tenant") String tenant, @QueryParam("from") String from,
            @QueryParam("to") String to, @QueryParam("group_by") String groupBy) {
        UsageParams p = UsageParams.parse(from, to, groupBy);
        return usage.query(tenant == null || tenant.isBlank() ? null : tenant, p.from(), p.to(), p.groupBy());
    }
}
