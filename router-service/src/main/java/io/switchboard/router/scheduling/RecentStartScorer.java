package io.switchboard.router.scheduling;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.common.annotation.Identifier;
import io.switchboard.router.registry.WorkerSnapshot;
import io.switchboard.schema.event.ServiceClass;

/**
 * {@code recent-start}: how long ago the worker was last given a job, as a share of {@link #WINDOW_MS} (1 when longer
 * ago, or never). A job that has just started is prefilling its prompt, and a prompt placed beside it waits for or shares
 * that prefill: its first token comes later. Spreading new jobs over workers that are not prefilling keeps time to first
 * token near its unloaded value. It scores critical jobs only (every worker scores 1 for the others): for them the
 * first token's time is the promise, while standard and batch jobs are better placed where their prefix is cached.
 */
@ApplicationScoped
@Identifier(RecentStartScorer.NAME)
public class RecentStartScorer implements Scorer {
    public static final String NAME = "recent-start";
    /** About one prompt's prefill on a busy worker. */
    static final long WINDOW_MS = 250;

    @Override
    public double score(PlacementRequest request, WorkerSnapshot worker) {
        if (request.job().serviceClass() != ServiceClass.CRITICAL || worker.lastAssignedMs() < 0) {
            return 1.0;
        }
        return Math.min(1.0, Math.max(0, request.nowMs() - worker.lastAssignedMs()) / (double) WINDOW_MS);
    }
}
