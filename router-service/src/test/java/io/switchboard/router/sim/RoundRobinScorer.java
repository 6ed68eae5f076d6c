package io.switchboard.router.sim;

import java.util.List;

import io.switchboard.router.registry.WorkerSnapshot;
import io.switchboard.router.scheduling.PlacementRequest;
import io.switchboard.router.scheduling.Scorer;

/**
 * A baseline, not a scorer the router ships: round-robin among the workers that passed the filters (so it skips a full
 * worker). Stateful: each new placement decision moves the turn on by one worker.
 */
final class RoundRobinScorer implements Scorer {
    private final List<String> order;
    private PlacementRequest current;
    private int turn = -1;

    RoundRobinScorer(List<String> workerIds) {
        this.order = List.copyOf(workerIds);
    }

    @Override
    public double score(PlacementRequest request, WorkerSnapshot worker) {
        if (request != current) {
            current = request;
            turn++;
        }
        int position = Math.floorMod(order.indexOf(worker.workerId()) - turn, order.size());
        return 1.0 - (double) position / order.size();
    }
}
