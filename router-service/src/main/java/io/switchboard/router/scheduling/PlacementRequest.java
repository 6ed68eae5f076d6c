package io.switchboard.router.scheduling;

import io.switchboard.router.admission.ProviderRouting;
import io.switchboard.schema.event.InferenceJob;

/**
 * The job being placed, with what scorers derive from it, computed at most once per decision: its prompt's
 * {@link PromptBlocks} (only when a scorer or the prefix index asks for them). Single-threaded, like placement.
 */
public final class PlacementRequest {
    private final InferenceJob job;
    private final ProviderRouting.Allowed providers;
    private final long nowMs;
    private long[] promptBlocks;

    /** A job that may run on local workers only, placed at time 0. */
    public PlacementRequest(InferenceJob job) {
        this(job, ProviderRouting.Allowed.LOCAL_ONLY, 0);
    }

    /** A job placed at time 0. */
    public PlacementRequest(InferenceJob job, ProviderRouting.Allowed providers) {
        this(job, providers, 0);
    }

    /**
     * @param providers where flow control lets it run now ({@link ProviderRouting})
     * @param nowMs     the decision's time (the router's clock), for scorers that weigh recency
     */
    public PlacementRequest(InferenceJob job, ProviderRouting.Allowed providers, long nowMs) {
        this.job = job;
        this.providers = providers;
        this.nowMs = nowMs;
    }

    public long nowMs() {
        return nowMs;
    }

    public ProviderRouting.Allowed providers() {
        return providers;
    }

    public InferenceJob job() {
        return job;
    }

    /** The chained hashes of the prompt's full blocks ({@link PromptBlocks#of}); do not modify. */
    public long[] promptBlocks() {
        if (promptBlocks == null) {
            promptBlocks = PromptBlocks.of(job);
        }
        return promptBlocks;
    }
}
