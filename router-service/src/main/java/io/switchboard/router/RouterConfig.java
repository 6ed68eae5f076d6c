package io.switchboard.router;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Router settings ({@code switchboard.router.*}; env {@code SWITCHBOARD_ROUTER_*}). */
@ConfigMapping(prefix = "switchboard.router")
public interface RouterConfig {

    /** This router's id (in its leader lease and logs); default: a random id per process. */
    java.util.Optional<String> id();

    /**
     * The leader lease's time to live: a standby takes over at most this long after the active router stopped
     * renewing it (killed, or cut off from Redis).
     */
    @WithDefault("2s")
    Duration leaseTtl();

    /**
     * How often the active router renews its lease, and a standby tries to take it: a standby takes over within the
     * lease's time to live plus this; the active router acts only until the time to live less this after its last
     * renewal began. Each renewal is a Redis round trip: 500 ms rather than 250 halves what an idle router spends on it.
     */
    @WithDefault("500ms")
    Duration leaseRenewInterval();

    /** How long a worker may leave an assignment unanswered before the router takes the job back. */
    @WithDefault("5s")
    Duration replyTimeout();

    /** How often the active router commits the jobs topic's offsets (up to each partition's oldest unsettled job). */
    @WithDefault("200ms")
    Duration commitInterval();

    /** Jobs read from Kafka and not yet settled above which the router stops reading more (backpressure). */
    @WithDefault("50000")
    int maxUnsettledJobs();

    /** Replicas of each topic the router creates (the Kubernetes manifests use 3). */
    @WithDefault("1")
    short topicReplication();

    /** {@code min.insync.replicas} of each topic the router creates (the Kubernetes manifests use 2). */
    @WithDefault("1")
    int topicMinInsyncReplicas();

    /**
     * A worker with no heartbeat for this long is taken out of the registry; its running jobs go back in line (when
     * they sent nothing yet) or end with {@code worker_lost}.
     */
    @WithDefault("3s")
    Duration workerTimeout();

    /** How long a job may wait for a model that no live worker serves before it fails with 503. */
    @WithDefault("10s")
    Duration noWorkerWait();

    /** How often the router expires workers and queued jobs. */
    @WithDefault("200ms")
    Duration tickInterval();

    /** Partitions of each topic the router creates at start-up. */
    @WithDefault("1")
    int topicPartitions();

    /** How long a job stream written by the router (a failure) is kept in Redis. */
    @WithDefault("5m")
    Duration failedStreamTtl();

    /**
     * Placement scorers by name, each optionally weighted as name:weight ({@code least-loaded}, {@code prefix-affinity},
     * {@code recent-start}; see scheduling/README.md). Unknown names fail start-up.
     */
    @WithDefault("prefix-affinity:1,least-loaded:2,recent-start:2")
    java.util.List<String> scorers();

    /**
     * Prompt block hashes (64 characters each) the router remembers per worker for the {@code prefix-affinity} scorer,
     * least recently sent evicted first (about 80 bytes each); 0 remembers none.
     */
    @WithDefault("16384")
    int prefixIndexBlocks();

    /** Seed of the random tie-break between equally scored workers; absent means seeded from the clock. */
    java.util.Optional<Long> tieBreakSeed();

    /** A batch job that has waited this long is ordered as a standard one (aging), so batch is never starved. */
    @WithDefault("30s")
    Duration batchMaxWait();

    /** Fair-share cost of one prompt token in a tenant's virtual token counter (divided by the tenant's weight). */
    @WithDefault("1")
    double promptWeight();

    /** Fair-share cost of one generated token in a tenant's virtual token counter (divided by the tenant's weight). */
    @WithDefault("2")
    double completionWeight();

    /** Jobs one tenant may have waiting in the router (all models); more are refused at once with 429 {@code tenant_queue_full}. */
    @WithDefault("1000")
    int maxQueuedPerTenant();

    /** Jobs one model may have waiting; beyond it the newest job of the lowest band is shed with 503 {@code overloaded}. */
    @WithDefault("10000")
    int maxQueuedPerModel();

    /**
     * A request with automatic provider routing runs on local workers, and may go to a cloud worker once the model's
     * local queue is predicted to make it wait longer than this (or no local worker is live).
     */
    @WithDefault("2s")
    Duration cloudOverflowWait();

    /**
     * The share of a model's slots that jobs below {@code critical} may not take while critical jobs of the model are
     * arriving (within {@code critical-reserve-window}): a critical job then finds a free slot at once instead of waiting
     * for a batch job to finish. 0 turns it off.
     */
    @WithDefault("0.125")
    double criticalReserve();

    /** How long after the last critical job of a model its slots stay reserved. */
    @WithDefault("60s")
    Duration criticalReserveWindow();

    /**
     * An arriving job is taken only if, after the longest it may wait, its own run (the model's mean service time)
     * and this share of a run more still fit before its deadline; otherwise it is refused at once. The margin is room
     * for runs a little longer than the mean, so that a job once taken is rarely refused later, near its deadline.
     */
    @WithDefault("0.2")
    double deadlineMargin();
}
