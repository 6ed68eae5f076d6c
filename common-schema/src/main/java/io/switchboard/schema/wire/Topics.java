package io.switchboard.schema.wire;

import java.util.List;

/**
 * Every Kafka topic of the system, declared once. The suffix is the major version of the
 * events on the topic: an incompatible change gets a new topic, so old and new services can
 * run side by side during a rollout.
 */
public final class Topics {
    private Topics() {
    }

    /** gateway → router: {@link io.switchboard.schema.event.InferenceJob}, keyed by job id. */
    public static final String JOBS = "switchboard.jobs.v1";
    /** workers → router: {@link io.switchboard.schema.event.JobCompletion}, keyed by job id; frees the slot. */
    public static final String COMPLETIONS = "switchboard.completions.v1";
    /** workers → router and gateways: {@link io.switchboard.schema.event.WorkerHeartbeat}, keyed by worker id. */
    public static final String HEARTBEATS = "switchboard.heartbeats.v1";
    /** gateway → router and workers: {@link io.switchboard.schema.event.CancelJob}, keyed by job id. */
    public static final String CANCELS = "switchboard.cancels.v1";

    public static final List<String> ALL = List.of(JOBS, COMPLETIONS, HEARTBEATS, CANCELS);
}
