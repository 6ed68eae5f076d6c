package io.switchboard.router.admission;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

import io.switchboard.schema.event.InferenceJob;

/**
 * Jobs waiting for a slot, in dispatch order: by band first ({@link io.switchboard.schema.event.ServiceClass#rank()}:
 * every critical job before every standard one, every standard one before every batch one, whatever their
 * priorities), then by priority within the band (lower first), then by arrival. Decides when a job may be
 * dispatched; where it goes is {@link io.switchboard.router.scheduling.Placement}'s decision. Not
 * thread-safe (owned by the dispatcher's single thread).
 */
public final class JobQueue {

    /** A waiting job with its arrival sequence and time. */
    public record Waiting(InferenceJob job, long seq, long enqueuedAtMs) {
    }

    private static final Comparator<Waiting> ORDER = Comparator.comparingInt((Waiting w) -> w.job().serviceClass().rank())
            .thenComparingInt(w -> w.job().priority())
            .thenComparingLong(Waiting::seq);

    private final TreeSet<Waiting> ordered = new TreeSet<>(ORDER);
    private final Map<String, Waiting> byId = new HashMap<>();
    private long nextSeq;

    /** Adds a job; a duplicate (a redelivered Kafka record) is ignored. */
    public boolean add(InferenceJob job, long nowMs) {
        if (byId.containsKey(job.jobId())) {
            return false;
        }
        Waiting w = new Waiting(job, nextSeq++, nowMs);
        ordered.add(w);
        byId.put(job.jobId(), w);
        return true;
    }

    /** Takes a job out of the queue: the job, or empty when it was not waiting here. */
    public Optional<InferenceJob> remove(String jobId) {
        Waiting w = byId.remove(jobId);
        if (w == null) {
            return Optional.empty();
        }
        ordered.remove(w);
        return Optional.of(w.job());
    }

    /** Waiting jobs in dispatch order (a copy: the caller may remove while iterating). */
    public List<Waiting> inOrder() {
        return new ArrayList<>(ordered);
    }

    /** Removes and returns the jobs matching {@code test}. */
    public List<InferenceJob> removeIf(java.util.function.Predicate<Waiting> test) {
        List<InferenceJob> removed = new ArrayList<>();
        for (Iterator<Waiting> it = ordered.iterator(); it.hasNext();) {
            Waiting w = it.next();
            if (test.test(w)) {
                it.remove();
                byId.remove(w.job().jobId());
                removed.add(w.job());
            }
        }
        return removed;
    }

    public int size() {
        return ordered.size();
    }
}
