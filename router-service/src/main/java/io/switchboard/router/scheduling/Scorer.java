package io.switchboard.router.scheduling;

import io.switchboard.router.registry.WorkerSnapshot;
import io.switchboard.schema.event.InferenceJob;

/**
 * Scores a worker that passed the filters for a job, in [0, 1]; higher is better. Scorers are named
 * CDI beans ({@code @Identifier}) selected by {@code switchboard.router.scorers}.
 */
public interface Scorer {
    double score(InferenceJob job, WorkerSnapshot worker);
}
