package io.switchboard.router.scheduling;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.common.annotation.Identifier;
import io.switchboard.router.registry.WorkerSnapshot;

/**
 * {@code least-loaded}: the share of the worker's slots that are free (the free capacity scorer). A 4-slot worker with
 * 3 free (0.75) beats an 8-slot worker with 4 free (0.5): load, not absolute room, spreads the work, so workers of
 * different sizes fill in proportion to their slots.
 */
@ApplicationScoped
@Identifier(LeastLoadedScorer.NAME)
public class LeastLoadedScorer implements Scorer {
    public static final String NAME = "least-loaded";

    @Override
    public double score(PlacementRequest request, WorkerSnapshot worker) {
        return 1.0 - worker.load();
    }
}
