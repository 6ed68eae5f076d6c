package io.switchboard.schema.wire;

import java.time.Duration;
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
    /**
     * workers → gateways' model catalog: {@link io.switchboard.schema.event.WorkerHeartbeat}, keyed by worker id (the
     * routers get every heartbeat, and the completions, through their Redis inbox, {@link RedisKeys#ROUTER_INBOX}).
     */
    public static final String HEARTBEATS = "switchboard.heartbeats.v1";
    /** gateway → router and workers: {@link io.switchboard.schema.event.CancelJob}, keyed by job id. */
    public static final String CANCELS = "switchboard.cancels.v1";

    /**
     * workers and router → billing and gateways: {@link io.switchboard.schema.event.UsageRecord}, keyed by tenant id;
     * exactly one per job that ends. Retained longer than the control topics (billing reads it).
     */
    public static final String USAGE = "switchboard.usage.v1";

    public static final List<String> ALL = List.of(JOBS, HEARTBEATS, CANCELS, USAGE);

    /** How long a topic keeps its records: an hour for the control topics, a week for usage (billing reads it). */
    public static Duration retention(String topic) {
        return USAGE.equals(topic) ? Duration.ofDays(7) : Duration.ofHours(1);
    }
}
