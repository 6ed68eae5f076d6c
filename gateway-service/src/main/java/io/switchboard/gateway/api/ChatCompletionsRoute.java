package io.switchboard.gateway.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.smallrye.mutiny.Uni;
import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.auth.ApiKeyAuthenticator;
import io.switchboard.gateway.auth.Caller;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.error.Errors;
import io.switchboard.gateway.job.ChatCompletionService;
import io.switchboard.gateway.job.ChatCompletionService.RunningJob;
import io.switchboard.gateway.stream.ReaderLeases;
import io.switchboard.gateway.stream.ResponseWriter;
import io.switchboard.gateway.stream.StreamRelay;
import io.switchboard.gateway.stream.StreamRelays;
import io.switchboard.gateway.stream.TokenStreamReader;
import io.switchboard.schema.event.InferenceJob;
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
 * goes away. Thin: authenticate, parse, hand to {@link ChatCompletionService}, relay the job's stream with
 * {@link StreamRelays} (which also decides what a client going away means for the job).
 */
@ApplicationScoped
public class ChatCompletionsRoute {
    public static final String PATH = "/v1/chat/completions";

    @Inject
    GatewayConfig config;
    @Inject
    ApiKeyAuthenticator auth;
    @Inject
    ChatCompletionService service;
    @Inject
    RouteErrors errors;
    @Inject
    StreamRelays relays;
    @Inject
    ReaderLeases leases;
    @Inject
    ShutdownDrain drain;

    void register(@Observes Router router) {
        router.route(PATH).order(-1000).handler(ctx -> {
            if (ctx.request().method() == HttpMethod.POST) {
                ctx.next();
                return;
            }
            ctx.response().putHeader("allow", "POST");
            errors.send(ctx, new ApiException(405, "invalid_request_error", null, "method_not_allowed",
                    "Method " + ctx.request().method() + " is not allowed on " + PATH + "; use POST."));
        });
        router.post(PATH).order(-999)
                .handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()))
                .handler(this::handle)
                .failureHandler(errors::failure);
    }

    private void handle(RoutingContext ctx) {
        HttpServerResponse response = ctx.response();
        String requestId = response.headers().get(RequestIds.HEADER);
        long arrived = System.nanoTime();
        drain.refuseIfDraining();
        Caller caller = auth.authenticate(ctx.request().getHeader("authorization"));
        ctx.put(ApiFilters.CALLER, caller);
        ChatCompletionRequest request = parse(ctx);
        Context context = Vertx.currentContext();
        service.submit(caller, requestId, request, arrived)
                .emitOn(task -> context.runOnContext(v -> task.run()))
                .subscribe().with(
                        running -> answer(ctx, request, running),
                        failure -> errors.send(ctx, Errors.from(failure)));
    }

    private void answer(RoutingContext ctx, ChatCompletionRequest request, RunningJob running) {
        HttpServerResponse response = ctx.response();
        running.rateLimits().writeTo(response::putHeader);
        ResponseWriter writer = new ResponseWriter(response, running.header(service.systemFingerprint()),
                running.includeUsage());
        InferenceJob job = running.job();
        relays.start(response, writer, job.jobId(), TokenStreamReader.START, job.deadlineAtMs(), request.streaming(),
                leases.hold(job.jobId()), new StreamRelay.Listener() {
                    @Override
                    public Uni<Void> finishing() {
                        return service.ending(running);
                    }

                    @Override
                    public void failed(String reason) {
                        service.cancel(job, reason);
                    }

                    @Override
                    public void clientClosed(boolean produced) {
                        service.clientGone(job, produced);
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
}
