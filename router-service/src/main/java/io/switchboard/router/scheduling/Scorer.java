package io.switchboard.router.scheduling;

import io.switchboard.router.registry.WorkerSnapshot;

/**
 * Scores a worker that passed the filters for a job, in [0, 1]; higher is better. Scorers are named CDI beans
 * ({@code @Identifier}) selected and weighted by {@code switchboard.router.scorers}; each is described in this
 * package's {@code README.md}. A scorer is a pure function of the request and the worker's snapshot.
 */
public interface Scorer {
    double score(PlacementRequest request, WorkerSnapshot worker);
}
