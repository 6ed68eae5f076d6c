package io.switchboard.gateway.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.limits.LastRateLimits;
import io.switchboard.gateway.stream.ResponseWriter;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/** The error answers of the gateway's Vert.x routes (the chat completion and its resumed stream): one path for both. */
@ApplicationScoped
public class RouteErrors {
    private static final Logger LOG = Logger.getLogger(RouteErrors.class);

    @Inject
    GatewayConfig config;
    @Inject
    LastRateLimits lastRateLimits;

    /** A route's failure handler: an {@link ApiException} as it is, a too-large body as 413, anything else as 500. */
    public void failure(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        ApiException error;
        if (failure == null && ctx.statusCode() == 413) {
            error = new ApiException(413, "invalid_request_error", null, "request_too_large",
                    "The request body is larger than the limit of " + config.maxBodyBytes() + " bytes.");
        } else if (failure instanceof ApiException api) {
            error = api;
        } else if (failure != null) {
            LOG.errorf(failure, "unexpected error on %s", ctx.request().path());
            error = new ApiException(500, "server_error", null, "internal_error",
                    "The server had an error while processing your request.");
        } else {
            error = new ApiException(ctx.statusCode(), "invalid_request_error", null, null, "The request failed.");
        }
        send(ctx, error);
    }

    /** An error answer; a limited tenant's carries its rate-limit headers (a 429's own, else the key's last known). */
    public void send(RoutingContext ctx, ApiException error) {
        HttpServerResponse response = ctx.response();
        if (!response.headWritten() && !error.headers().containsKey("x-ratelimit-limit-requests")
                && !error.headers().containsKey("x-ratelimit-limit-tokens")) {
            lastRateLimits.writeTo(ctx.get(ApiFilters.CALLER), response::putHeader);
        }
        ResponseWriter.error(response, error);
    }
}
