package io.switchboard.gateway.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.vertx.ext.web.Router;

/**
 * Puts {@code x-request-id} on every response of the gateway (API, health, errors, unknown paths): the
 * client's id when it sent a sane one, else a new one. Runs before every other route.
 */
@ApplicationScoped
public class RequestIdRoute {

    void register(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 1).handler(ctx -> {
            ctx.response().putHeader(RequestIds.HEADER, RequestIds.resolve(ctx.request().getHeader(RequestIds.HEADER)));
            ctx.next();
        });
    }
}
