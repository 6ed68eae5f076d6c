package io.switchboard.gateway.api;

import jakarta.inject.Inject;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.jboss.resteasy.reactive.server.SimpleResourceInfo;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import io.switchboard.gateway.api.admin.AdminApi;
import io.switchboard.gateway.auth.AdminAuthenticator;
import io.switchboard.gateway.auth.ApiKeyAuthenticator;
import io.switchboard.gateway.auth.Caller;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.error.BeanViolations;
import io.switchboard.gateway.error.Errors;
import io.switchboard.gateway.limits.LastRateLimits;
import io.quarkus.hibernate.validator.runtime.jaxrs.ResteasyReactiveViolationException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.vertx.ext.web.RoutingContext;

/**
 * Cross-cutting behaviour of the JAX-RS endpoints under {@code /v1} and {@code /admin}: bearer authentication (a
 * tenant's key, or the admin key), and every
 * error as an OpenAI envelope ({@code x-request-id} is {@link RequestIdRoute}'s).
 */
public class ApiFilters {

    /** The request property holding the authenticated {@link Caller} of a {@code /v1} endpoint. */
    public static final String CALLER = "switchboard.caller";

    @Inject
    ApiKeyAuthenticator auth;
    @Inject
    AdminAuthenticator admin;
    @Inject
    LastRateLimits lastRateLimits;

    /**
     * Runs once the request has matched a resource, so the rule follows the resource, not a path prefix that an odd
     * spelling of the path could dodge: the admin API ({@link AdminApi}) takes the admin key, every other resource a
     * tenant's key.
     */
    @ServerRequestFilter
    public Response authenticate(ContainerRequestContext request, RoutingContext routing, SimpleResourceInfo resource) {
        try {
            if (resource.getResourceClass().isAnnotationPresent(AdminApi.class)) {
                admin.authenticate(request.getHeaderString("authorization"));
            } else {
                routing.put(CALLER, auth.authenticate(request.getHeaderString("authorization")));
            }
            return null;
        } catch (ApiException e) {
            return envelope(e).build();
        }
    }

    /** A limited tenant's answers carry its key's last known rate-limit headers. */
    @ServerResponseFilter
    public void rateLimitHeaders(ContainerResponseContext response, RoutingContext routing) {
        lastRateLimits.writeTo(routing.get(CALLER), (name, value) -> response.getHeaders().putSingle(name, value));
    }

    /** The caller a {@code /v1} request authenticated as. */
    public static Caller caller(RoutingContext routing) {
        return routing.get(CALLER);
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

    @ServerExceptionMapper
    public Response invalidBody(ConstraintViolationException e) {
        return envelope(BeanViolations.toApiException(e)).build();
    }

    /** Quarkus's own subtype for a {@code @Valid} body, mapped here so it too gets the OpenAI envelope. */
    @ServerExceptionMapper
    public Response invalidValidBody(ResteasyReactiveViolationException e) {
        return envelope(BeanViolations.toApiException(e)).build();
    }

    @ServerExceptionMapper
    public Response unreadableBody(JsonProcessingException e) {
        return envelope(Errors.from(e)).build();
    }

    @ServerExceptionMapper
    public Response mistypedBody(MismatchedInputException e) {
        return envelope(Errors.from(e)).build();
    }

    private static Response.ResponseBuilder envelope(ApiException e) {
        Response.ResponseBuilder b = Response.status(e.status()).type(MediaType.APPLICATION_JSON_TYPE).entity(e.body());
        e.headers().forEach(b::header);
        return b;
    }
}
