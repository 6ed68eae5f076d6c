package io.switchboard.worker;

import io.vertx.core.Vertx;

/** One Vert.x for the tests that build engines outside Quarkus (which gives the services theirs). */
public final class TestVertx {
    private static final Vertx VERTX = Vertx.vertx();

    private TestVertx() {
    }

    public static Vertx shared() {
        return VERTX;
    }
}
