package io.switchboard.gateway.api;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.switchboard.gateway.auth.Caller;
import io.switchboard.gateway.catalog.ModelCatalog;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.schema.openai.Model;
import io.switchboard.schema.openai.ModelList;
import io.vertx.ext.web.RoutingContext;

/** {@code GET /v1/models} and {@code GET /v1/models/{id}}. */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {

    @Inject
    ModelCatalog catalog;

    /** The models the caller's tenant and key may use. */
    @GET
    public ModelList list(RoutingContext routing) {
        Caller caller = ApiFilters.caller(routing);
        return ModelList.of(catalog.list().stream().filter(m -> caller.mayUse(m.id())).toList());
    }

    @GET
    @Path("{id: .+}")
    public Model get(@PathParam("id") String id, RoutingContext routing) {
        return catalog.find(id).filter(m -> ApiFilters.caller(routing).mayUse(m.id()))
                .orElseThrow(() -> ApiException.modelNotFound(id));
    }
}
