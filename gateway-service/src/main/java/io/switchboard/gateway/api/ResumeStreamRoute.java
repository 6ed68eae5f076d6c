package io.switchboard.gateway.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.smallrye.mutiny.Uni;
import io.switchboard.gateway.auth.ApiKeyAuthenticator;
import io.switchboard.gateway.auth.Caller;
import io.switchboard.gateway.error.Errors;
import io.switchboard.gateway.job.ChatCompletionService;
import io.switchboard.gateway.job.ResumeService;
import io.switchboard.gateway.job.ResumeService.Resumption;
import io.switchboard.gateway.stream.ResponseWriter;
import io.switchboard.gateway.stream.StreamRelay;
import io.switchboard.gateway.stream.StreamRelays;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /v1/chat/completions/{completion_id}/stream}, header {@code Last-Event-ID} (optional): the rest of a
 * streamed chat completion after the last event the client got, as SSE, on any replica; authenticated like the POST.
 * Thin: authenticate, ask {@link ResumeService}, relay with {@link StreamRelays}.
 */
@ApplicationScoped
public class ResumeStreamRoute {
    public static final String PATH = ChatCompletionsRoute.PATH + "/:id/stream";

    @Inject
    ApiKeyAuthenticator auth;
    @Inject
    ResumeService resumes;
    @Inject
    ChatCompletionService service;
    @Inject
    StreamRelays relays;
    @Inject
    RouteErrors errors;
    @Inject
    ShutdownDrain drain;

    void register(@Observes Router router) {
        router.get(PATH).order(-998).handler(this::handle).failureHandler(errors::failure);
    }

    private void handle(RoutingContext ctx) {
        drain.refuseIfDraining();
        Caller caller = auth.authenticate(ctx.request().getHeader("authorization"));
        ctx.put(ApiFilters.CALLER, caller);
        Context context = Vertx.currentContext();
        resumes.resume(caller, ctx.pathParam("id"), ctx.request().getHeader("last-event-id"))
                .emitOn(task -> context.runOnContext(v -> task.run()))
                .subscribe().with(r -> answer(ctx, r), failure -> errors.send(ctx, Errors.from(failure)));
    }

    private void answer(RoutingContext ctx, Resumption r) {
        HttpServerResponse response = ctx.response();
        ResponseWriter writer = r.fromStart() ? new ResponseWriter(response, r.header(), r.includeUsage())
                : ResponseWriter.resumed(response, r.header(), r.includeUsage(), r.soFar().provider(), r.soFar().endedChoices());
        if (r.soFar().done()) {
            writer.alreadyDone();
            return;
        }
        relays.start(response, writer, r.jobId(), r.after(), r.deadlineMs(), true, r.lease(), new StreamRelay.Listener() {
            @Override
            public Uni<Void> finishing() {
                return NOTHING;
            }

            @Override
            public void failed(String reason) {
                service.cancel(r.jobId(), r.tenantId(), reason);
            }

            @Override
            public void clientClosed(boolean produced) {
                service.cancel(r.jobId(), r.tenantId(), "client_disconnected");
            }
        });
    }
}
