package io.switchboard.router.api;

import java.util.List;
import java.util.concurrent.CompletionStage;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.switchboard.router.dispatch.RouterLoop;
import io.switchboard.router.registry.WorkerSnapshot;

/** Operator view of the router: whether it is the active one, the live workers, and the queue per model, band and tenant (depth and fair-share counter). */
@Path("/router")
@Produces(MediaType.APPLICATION_JSON)
public class RouterStatusResource {

    @Inject
    RouterLoop loop;

    @GET
    @Path("workers")
    public CompletionStage<List<WorkerSnapshot>> workers() {
        return loop.workers();
    }

    /** Whether this router is the active one (holds the lease), and its id. */
    @GET
    @Path("leader")
    public RouterLoop.LeaderStatus leader() {
        return loop.leaderStatus();
    }

    @GET
    @Path("queue")
    public CompletionStage<RouterLoop.QueueStatus> queue() {
        return loop.queue();
    }
}
