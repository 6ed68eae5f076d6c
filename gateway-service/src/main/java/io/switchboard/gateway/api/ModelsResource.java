package io.switchboard.gateway.api;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.switchboard.gateway.catalog.ModelCatalog;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.schema.openai.Model;
import io.switchboard.schema.openai.ModelList;

/** {@code GET /v1/models} and {@code GET /v1/models/{id}}. */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {

    @Inject
    ModelCatalog catalog;

    @GET
    public ModelList list() {
        return ModelList.of(catalog.list());
    }

    @GET
    @Path("{id: .+}")
    public Model get(@PathParam("id") String id) {
        return catalog.find(id).orElseThrow(() -> ApiException.modelNotFound(id));
    }
}
