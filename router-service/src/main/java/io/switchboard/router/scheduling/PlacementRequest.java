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
    private long[] promptBlocks;

    /** A job that may run on local workers only. */
    public PlacementRequest(InferenceJob job) {
        this(job, ProviderRouting.Allowed.LOCAL_ONLY);
    }

    /** @param providers where flow control lets it run now ({@link ProviderRouting}) */
    public PlacementRequest(InferenceJob job, ProviderRouting.Allowed providers) {
        this.job = job;
        this.providers = providers;
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
