package io.switchboard.router.admission;

import java.util.Comparator;

import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.ServiceClass;

/**
 * A waiting job: its arrival sequence and time, its prompt estimate (charged to its tenant at dispatch), and the band
 * it waits in now: its class, or {@link ServiceClass#STANDARD} once a batch job has aged.
 */
public final class Queued {
    /** Within one tenant: the request's priority (lower first), then the earliest deadline, then arrival. */
    static final Comparator<Queued> WITHIN_TENANT = Comparator.comparingInt((Queued q) -> q.job.priority())
            .thenComparingLong(q -> q.job.deadlineAtMs())
            .thenComparingLong(q -> q.seq);
    static final Comparator<Queued> BY_ARRIVAL = Comparator.comparingLong(q -> q.seq);
    static final Comparator<Queued> BY_DEADLINE = Comparator.comparingLong((Queued q) -> q.job.deadlineAtMs())
            .thenComparingLong(q -> q.seq);

    private final InferenceJob job;
    private final long seq;
    private final long enqueuedAtMs;
    private final long estimatedPromptTokens;
    private ServiceClass band;

    Queued(InferenceJob job, long seq, long enqueuedAtMs) {
        this.job = job;
        this.seq = seq;
        this.enqueuedAtMs = enqueuedAtMs;
        this.estimatedPromptTokens = VirtualTokens.estimatePromptTokens(job);
        this.band = job.serviceClass();
    }

    public InferenceJob job() {
        return job;
    }

    public long seq() {
        return seq;
    }

    public long enqueuedAtMs() {
        return enqueuedAtMs;
    }

    public long estimatedPromptTokens() {
        return estimatedPromptTokens;
    }

    /** The band the job waits in (and whose counter it is charged to): its class, or standard once aged. */
    public ServiceClass band() {
        return band;
    }

    void band(ServiceClass band) {
        this.band = band;
    }

    @Override
    public String toString() {
        return "Queued[" + job.jobId() + " of " + job.tenantId() + " in " + band.wire() + "]";
    }
}
