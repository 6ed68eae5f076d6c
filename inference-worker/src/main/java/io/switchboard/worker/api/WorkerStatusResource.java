package io.switchboard.worker.api;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.switchboard.worker.capacity.SlotPool;
import io.switchboard.worker.capacity.WorkerIdentity;
import io.switchboard.worker.engine.InferenceEngine;

/** Operator view of the worker: its slots, what runs, and the peak concurrency seen. */
@Path("/worker/status")
@Produces(MediaType.APPLICATION_JSON)
public class WorkerStatusResource {

    @Inject
    SlotPool slots;
    @Inject
    WorkerIdentity identity;
    @Inject
    InferenceEngine engine;

    public record WorkerStatus(String workerId, String model, String engine, SlotPool.Status slots) {
    }

    @GET
    public WorkerStatus status() {
        return new WorkerStatus(identity.id(), engine.modelId(), engine.kind(), slots.status());
    }
}
