package io.switchboard.router.scheduling;

import io.switchboard.schema.event.InferenceJob;

/**
 * The job being placed, with what scorers derive from it, computed at most once per decision: its prompt's
 * {@link PromptBlocks} (only when a scorer or the prefix index asks for them). Single-threaded, like placement.
 */
public final class PlacementRequest {
    private final InferenceJob job;
    private long[] promptBlocks;

    public PlacementRequest(InferenceJob job) {
        this.job = job;
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
