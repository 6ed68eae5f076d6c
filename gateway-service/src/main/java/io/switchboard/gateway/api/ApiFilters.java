package io.switchboard.gateway.api;

import jakarta.inject.Inject;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import io.switchboard.gateway.auth.ApiKeyAuthenticator;
import io.switchboard.gateway.error.ApiException;

/**
 * Cross-cutting behaviour of the JAX-RS endpoints under {@code /v1}: bearer authentication, and every
 * error as an OpenAI envelope ({@code x-request-id} is {@link RequestIdRoute}'s).
 */
public class ApiFilters {

    @Inject
    ApiKeyAuthenticator auth;

    @ServerRequestFilter(preMatching = true)
    public Response authenticate(ContainerRequestContext request) {
        if (!request.getUriInfo().getPath().startsWith("/v1/")) {
            return null;
        }
        try {
            auth.tenantOf(request.getHeaderString("authorization"));
            return null;
        } catch (ApiException e) {
            return envelope(e).build();
        }
    }

    @ServerExceptionMapper
    public Response apiError(ApiException e) {
        return envelope(e).build();
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e) {
        return envelope(new ApiException(404, "invalid_request_error", null, "not_found", "Unknown endpoint.")).build();
    }

    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException e) {
        return envelope(new ApiException(405, "invalid_request_error", null, "method_not_allowed",
                "This method is not allowed on this endpoint.")).build();
    }

    @ServerExceptionMapper
    public Response webError(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        return envelope(new ApiException(status, status >= 500 ? "server_error" : "invalid_request_error", null, null,
                status >= 500 ? "The server had an error while processing your request." : "The request was rejected."))
                .build();
    }

    private static Response.ResponseBuilder envelope(ApiException e) {
        return Response.status(e.status()).type(MediaType.APPLICATION_JSON_TYPE).entity(e.body());
    }
}
