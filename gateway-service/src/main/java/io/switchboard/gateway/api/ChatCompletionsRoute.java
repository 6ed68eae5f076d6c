package io.switchboard.gateway.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.subscription.Cancellable;
import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.auth.ApiKeyAuthenticator;
import io.switchboard.gateway.auth.Caller;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.error.Errors;
import io.switchboard.gateway.job.ChatCompletionService;
import io.switchboard.gateway.limits.LastRateLimits;
import io.switchboard.gateway.job.ChatCompletionService.RunningJob;
import io.switchboard.gateway.stream.ResponseWriter;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.ChatCompletionRequest;
import io.switchboard.schema.wire.Json;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * {@code POST /v1/chat/completions}. A Vert.x route rather than a JAX-RS resource, because one endpoint
 * answers either one JSON body or an SSE stream written byte for byte, and must notice a client that
 * goes away. Thin: authenticate, parse, hand to {@link ChatCompletionService}, write with
 * {@link ResponseWriter}.
 */
@ApplicationScoped
public class ChatCompletionsRoute {
    private static final Logger LOG = Logger.getLogger(ChatCompletionsRoute.class);
    public static final String PATH = "/v1/chat/completions";

    @Inject
    GatewayConfig config;
    @Inject
    ApiKeyAuthenticator auth;
    @Inject
    ChatCompletionService service;
    @Inject
    LastRateLimits lastRateLimits;

    void register(@Observes Router router) {
        router.route(PATH).order(-1000).handler(ctx -> {
            if (ctx.request().method() == HttpMethod.POST) {
                ctx.next();
                return;
            }
            ctx.response().putHeader("allow", "POST");
            ResponseWriter.error(ctx.response(), new ApiException(405, "invalid_request_error", null, "method_not_allowed",
                    "Method " + ctx.request().method() + " is not allowed on " + PATH + "; use POST."));
        });
        router.post(PATH).order(-999)
                .handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()))
                .handler(this::handle)
                .failureHandler(this::failure);
    }

    private void handle(RoutingContext ctx) {
        HttpServerResponse response = ctx.response();
        String requestId = response.headers().get(RequestIds.HEADER);
        long arrived = System.nanoTime();
        Caller caller = auth.authenticate(ctx.request().getHeader("authorization"));
        ctx.put(ApiFilters.CALLER, caller);
        ChatCompletionRequest request = parse(ctx);
        Context context = Vertx.currentContext();
        service.submit(caller, requestId, request, arrived)
                .emitOn(task -> context.runOnContext(v -> task.run()))
                .subscribe().with(
                        running -> answer(ctx, request, running),
                        failure -> error(ctx, Errors.from(failure)));
    }

    private void answer(RoutingContext ctx, ChatCompletionRequest request, RunningJob running) {
        HttpServerResponse response = ctx.response();
        running.rateLimits().writeTo(response::putHeader);
        ResponseWriter writer = new ResponseWriter(response, running, request.includeUsage(), service.systemFingerprint());
        boolean streaming = request.streaming();
        Context context = Vertx.currentContext();
        boolean[] terminal = { false };
        Cancellable subscription = running.events()
                .emitOn(task -> context.runOnContext(v -> task.run()))
                .subscribe().with(
                        event -> {
                            if (event.terminal() && !terminal[0]) {
                                service.ended(running);
                            }
                            terminal[0] |= event.terminal();
                            if (streaming) {
                                writer.stream(event);
                            } else {
                                writer.collect(event);
                            }
                        },
                        failure -> {
                            LOG.debugf("job %s of tenant %s ended without a terminal event: %s", running.job().jobId(),
                                    running.job().tenantId(), failure.toString());
                            service.cancel(running.job(), ResponseWriter.isTimeout(failure) ? "timeout" : "stream_error");
                            terminal[0] = true;
                            writer.streamFailure(failure);
                        });
        response.closeHandler(v -> {
            if (!terminal[0]) {
                terminal[0] = true;
                subscription.cancel();
                service.cancel(running.job(), "client_disconnected");
            }
        });
    }

    private static ChatCompletionRequest parse(RoutingContext ctx) {
        var body = ctx.body();
        if (body == null || body.length() == 0) {
            throw ApiException.invalid(null, "invalid_json",
                    "We could not parse the JSON body of your request. The body must be a valid JSON object.");
        }
        byte[] bytes = body.buffer().getBytes();
        if (!startsWithObject(bytes)) {
            throw ApiException.invalid(null, "invalid_json", "The request body must be a JSON object.");
        }
        try {
            return Json.MAPPER.readValue(bytes, ChatCompletionRequest.class);
        } catch (Exception e) {
            throw Errors.from(e);
        }
    }

    /** Whether the first non-blank byte opens an object: arrays and scalars are refused before any parsing. */
    private static boolean startsWithObject(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return b == '{';
            }
        }
        return false;
    }

    private void failure(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        ApiException error;
        if (failure == null && ctx.statusCode() == 413) {
            error = new ApiException(413, "invalid_request_error", null, "request_too_large",
                    "The request body is larger than the limit of " + config.maxBodyBytes() + " bytes.");
        } else if (failure instanceof ApiException api) {
            error = api;
        } else if (failure != null) {
            LOG.errorf(failure, "unexpected error on %s", PATH);
            error = new ApiException(500, "server_error", null, "internal_error",
                    "The server had an error while processing your request.");
        } else {
            error = new ApiException(ctx.statusCode(), "invalid_request_error", null, null, "The request failed.");
        }
        error(ctx, error);
    }

    /** An error answer; a limited tenant's carries its rate-limit headers (a 429's own, else the key's last known). */
    private void error(RoutingContext ctx, ApiException error) {
        HttpServerResponse response = ctx.response();
        if (!response.headWritten() && !error.headers().containsKey("x-ratelimit-limit-requests")
                && !error.headers().containsKey("x-ratelimit-limit-tokens")) {
            lastRateLimits.writeTo(ctx.get(ApiFilters.CALLER), response::putHeader);
        }
        ResponseWriter.error(response, error);
    }
}
