package io.switchboard.worker.capacity;

import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.switchboard.worker.WorkerConfig;

/** This worker's id: configured, or random per process. */
@ApplicationScoped
public class WorkerIdentity {
    private final String id;

    @Inject
    public WorkerIdentity(WorkerConfig config) {
        this.id = config.id().orElseGet(() -> "worker-" + UUID.randomUUID().toString().substring(0, 8));
    }

    public String id() {
        return id;
    }
}
