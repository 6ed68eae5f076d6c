package io.switchboard.worker.capacity;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.switchboard.schema.event.AssignmentReply;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobAssignment;
import io.switchboard.schema.event.UsageRecord.Outcome;
import io.switchboard.worker.WorkerConfig;

/**
 * The worker's slots: one per sequence the engine runs at once. A job takes one slot per choice ({@code n}: each
 * choice is a sequence of its own), and one thread runs it (the run itself is {@link JobRunner}'s). Tracks what runs
 * (for heartbeats and cancellation) and the peak number of sequences run at once (which must never exceed the slots).
 * An assignment that does not find a slot for each of its choices is refused ({@link #offerAll}): jobs wait in the
 * router's queue, never here.
 */
@ApplicationScoped
public class SlotPool {
    private static final Logger LOG = Logger.getLogger(SlotPool.class);

    private final WorkerConfig config;
    private final JobRunner runner;
    private final JobClaims claims;
    private final ThreadPoolExecutor executor;
    private final Map<String, Cancellation> running = new ConcurrentHashMap<>();
    /** Per running job, the tokens it generated so far (heartbeats report them; the router charges fair share by them). */
    private final Map<String, AtomicInteger> generated = new ConcurrentHashMap<>();
    private final CancelLedger cancels = new CancelLedger();
    /** Slots taken by accepted jobs (one per choice), from acceptance until their completion is reported. */
    private final AtomicInteger taken = new AtomicInteger();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private final AtomicLong finished = new AtomicLong();
    private final AtomicLong cancelledCount = new AtomicLong();
    private volatile boolean draining;

    @Inject
    public SlotPool(WorkerConfig config, JobRunner runner, JobClaims claims) {
        this.config = config;
        this.runner = runner;
        this.claims = claims;
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(config.slots(), config.slots(), 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "slot-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * @param finished  jobs that left their slots, however they ended
     * @param cancelled of those, the ones stopped by a cancel (client gone, deadline) or the drain
     */
    public record Status(int slots, int active, int peakActive, int queued, long finished, long cancelled,
            List<String> runningJobs, Map<String, Integer> generated) {
    }

    /** What {@link #offerAll} decided: the verdict the router is told, and for {@code CLAIMED} who owns the job. */
    public record Offer(AssignmentReply.Verdict verdict, String owner) {
        static final Offer ACCEPTED = new Offer(AssignmentReply.Verdict.ACCEPTED, null);
        static final Offer FULL = new Offer(AssignmentReply.Verdict.FULL, null);
    }

    /**
     * Takes assignments read together, in order, only into free slots (one for each of a job's choices), and only if
     * this worker wins the job's owner claim: otherwise one is refused ({@code FULL}: the router puts it back in line;
     * {@code CLAIMED}: it belongs to someone else). The claims of those that find a slot are taken in one round trip to
     * Redis, not one each, and each job starts on its slot as soon as its claim is won. A job that already runs here
     * (the assignment delivered again) is accepted again without a second run. A job past its deadline is refused as
     * {@code FULL}, so the router's queue ends it. A job assigned twice within the batch gets its first verdict.
     * Never blocks: the verdicts come when Redis answered (on its event loop).
     */
    public Uni<List<Offer>> offerAll(List<JobAssignment> assignments) {
        Offer[] offers = new Offer[assignments.size()];
        Map<String, Integer> first = new HashMap<>();
        List<Integer> toClaim = new ArrayList<>();
        List<Uni<Void>> checks = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (int i = 0; i < offers.length; i++) {
            int index = i;
            InferenceJob job = assignments.get(i).job();
            String jobId = job.jobId();
            if (first.putIfAbsent(jobId, i) != null) {
                continue; // the same job again: answered below as its first assignment
            }
            if (running.containsKey(jobId)) {
                // delivered again while it runs here: still ours only if the claim is; a job taken back from this
                // worker (it was thought dead) stops at its first write, so it is refused and runs elsewhere
                checks.add(claims.holds(jobId).onFailure().recoverWithItem(false)
                        .invoke(holds -> offers[index] = holds ? Offer.ACCEPTED : Offer.FULL).replaceWithVoid());
            } else if (draining || !runner.engineAvailable() || job.expiredAt(now) || !takeSlots(job.sequences())) {
                offers[i] = Offer.FULL;
            } else {
                toClaim.add(i);
            }
        }
        List<InferenceJob> claimed = toClaim.stream().map(i -> assignments.get(i).job()).toList();
        Uni<List<String>> owners = claims.claimAll(claimed, now).onFailure().recoverWithUni(e -> {
            // some claims of the batch may have been taken: each is claimed again alone (the claim is this worker's
            // again while the job's stream is empty), so none stays claimed by a worker that refused it; one that
            // cannot be taken is refused
            LOG.warnf("%d claims taken together failed (%s); claiming them one by one", toClaim.size(), e.getMessage());
            return Uni.join().all(claimed.stream().map(job -> claims.claim(job, now).onFailure().recoverWithItem(t -> {
                LOG.warnf("job %s: its claim could not be taken, refused: %s", job.jobId(), t.getMessage());
                return UNCLAIMED;
            })).toList()).andFailFast();
        });
        checks.add(owners.invoke(who -> {
            for (int k = 0; k < toClaim.size(); k++) {
                offers[toClaim.get(k)] = start(assignments.get(toClaim.get(k)), who.get(k));
            }
        }).replaceWithVoid());
        return Uni.join().all(checks).andFailFast().map(ignored -> {
            List<Offer> verdicts = new ArrayList<>(offers.length);
            for (int i = 0; i < offers.length; i++) {
                verdicts.add(offers[i] != null ? offers[i] : offers[first.get(assignments.get(i).job().jobId())]);
            }
            return verdicts;
        });
    }

    /** A claim that could not be taken (Redis failed): the job is refused, its slots given back. */
    private static final String UNCLAIMED = "~unclaimed";

    /** What a claim's answer means for a job whose slots were taken: it starts, or its slots are given back. */
    private Offer start(JobAssignment assignment, String owner) {
        if (owner != null) {
            taken.addAndGet(-assignment.job().sequences());
            return UNCLAIMED.equals(owner) ? Offer.FULL : new Offer(AssignmentReply.Verdict.CLAIMED, owner);
        }
        String jobId = assignment.job().jobId();
        running.put(jobId, new Cancellation(cancels.reasonOf(jobId)));
        generated.put(jobId, new AtomicInteger());
        try {
            executor.execute(() -> run(assignment));
            return Offer.ACCEPTED;
        } catch (RejectedExecutionException e) {
            // the drain stopped the slots while the claim was on its way: refused, and the claim given back (its
            // stream is still empty), so the router runs the job elsewhere
            running.remove(jobId);
            generated.remove(jobId);
            taken.addAndGet(-assignment.job().sequences());
            claims.release(jobId).subscribe().with(released -> LOG.infof("job %s: claimed while draining, given back: %s",
                    jobId, released), t -> LOG.warnf("job %s: its claim could not be given back: %s", jobId, t.getMessage()));
            return Offer.FULL;
        }
    }

    /** Takes {@code n} of the free slots, if there are that many, atomically. */
    private boolean takeSlots(int n) {
        while (true) {
            int t = taken.get();
            if (t + n > config.slots()) {
                return false;
            }
            if (taken.compareAndSet(t, t + n)) {
                return true;
            }
        }
    }

    /**
     * On shutdown (SIGTERM, scale-down): every sequence stops, and its client gets a
     * {@code worker_shutting_down} error at once instead of waiting for the router to notice the silence;
     * the model is closed only after the slots are empty.
     */
    void drain(@Observes @Priority(1) ShutdownEvent ignored) {
        draining = true;
        running.values().forEach(c -> c.request(FailureCode.WORKER_SHUTTING_DOWN.wire()));
        executor.shutdown();
        try {
            if (!executor.awaitTermination(config.drainTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warnf("%d sequences still running after the drain timeout", active.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Nobody waits for the job any more ({@code reason}: the cancel's): it stops, or never starts. */
    public void cancel(String jobId, String reason) {
        String why = reason == null || reason.isBlank() ? Cancellation.UNSPECIFIED : reason;
        cancels.record(jobId, why);
        Cancellation c = running.get(jobId);
        if (c != null) {
            c.request(why);
        }
    }

    private void run(JobAssignment assignment) {
        InferenceJob job = assignment.job();
        Cancellation cancellation = running.get(job.jobId());
        int sequences = job.sequences();
        int now = active.addAndGet(sequences);
        peak.accumulateAndGet(now, Math::max);
        JobEnd end = null;
        try {
            end = runner.run(job, cancellation, () -> draining, generated.get(job.jobId()));
        } finally {
            active.addAndGet(-sequences);
            running.remove(job.jobId());
            generated.remove(job.jobId());
            finished.incrementAndGet();
            if (end == null) {
                end = JobEnd.notRun(job, Outcome.FAILED, FailureCode.INFERENCE_FAILED.wire(), System.currentTimeMillis());
            }
            if (end.outcome() == Outcome.CANCELLED) {
                cancelledCount.incrementAndGet();
            }
            runner.report(end);
            taken.addAndGet(-sequences);
        }
    }

    public Status status() {
        Map<String, Integer> progress = new java.util.HashMap<>();
        generated.forEach((jobId, tokens) -> progress.put(jobId, tokens.get()));
        return new Status(config.slots(), active.get(), peak.get(), Math.max(0, taken.get() - active.get()), finished.get(),
                cancelledCount.get(), new ArrayList<>(running.keySet()), progress);
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }
}
