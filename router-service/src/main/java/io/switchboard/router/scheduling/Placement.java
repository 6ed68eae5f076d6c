package io.switchboard.router.scheduling;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

import io.switchboard.router.admission.ProviderRouting;
import io.switchboard.router.registry.WorkerSnapshot;
import io.switchboard.schema.event.Providers;
import io.switchboard.schema.event.InferenceJob;

/**
 * Where a job runs: a pure function of the job and a snapshot of the workers (their slots, and the prompt prefixes
 * the router recently sent each). Filters keep the workers that have a free slot for each of the job's choices and
 * serve the model with every feature the job needs (choices, logprobs, JSON schema, tools:
 * {@link WorkerSnapshot#canRun}), of a provider flow control allows ({@link ProviderRouting}: local workers first,
 * cloud ones only when no local one can take it); weighted scorers ({@link Scorer}, each in [0, 1]) rank them by the
 * sum of weight × score; the picker takes the best, breaking ties with an injected (seedable) random source. Empty
 * when no worker can take the job now: the job then waits in the queue.
 */
public final class Placement {

    public record WeightedScorer(Scorer scorer, double weight) {
    }

    private final List<WeightedScorer> scorers;
    private final RandomGenerator random;

    public Placement(List<WeightedScorer> scorers, RandomGenerator random) {
        this.scorers = List.copyOf(scorers);
        this.random = random;
    }

    public Optional<String> place(InferenceJob job, List<WorkerSnapshot> workers) {
        return place(new PlacementRequest(job), workers);
    }

    public Optional<String> place(PlacementRequest request, List<WorkerSnapshot> workers) {
        ProviderRouting.Allowed allowed = request.providers();
        // local first: a cloud worker is only considered when no local worker can take the job now
        Optional<String> local = allowed.local() ? place(request, workers, Providers.LOCAL) : Optional.empty();
        return local.isPresent() || !allowed.cloud() ? local : place(request, workers, Providers.CLOUD);
    }

    /** Whether any of {@code workers} passes the filters for the request now (a provider it allows, able, with room). */
    public static boolean anyTakes(PlacementRequest request, List<WorkerSnapshot> workers) {
        InferenceJob job = request.job();
        return workers.stream().anyMatch(w -> request.providers().allows(w.provider()) && w.hasRoomFor(job) && w.canRun(job));
    }

    private Optional<String> place(PlacementRequest request, List<WorkerSnapshot> workers, String provider) {
        InferenceJob job = request.job();
        List<WorkerSnapshot> best = new ArrayList<>();
        double bestScore = Double.NEGATIVE_INFINITY;
        for (WorkerSnapshot w : workers) {
            if (!w.hasRoomFor(job) || !w.provider().equals(provider) || !w.canRun(job)) {
                continue;
            }
            double score = 0;
            for (WeightedScorer s : scorers) {
                score += s.weight() * s.scorer().score(request, w);
            }
            if (score > bestScore + 1e-9) {
                best.clear();
                best.add(w);
                bestScore = score;
            } else if (Math.abs(score - bestScore) <= 1e-9) {
                best.add(w);
            }
        }
        if (best.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(best.get(best.size() == 1 ? 0 : random.nextInt(best.size())).workerId());
    }
}
