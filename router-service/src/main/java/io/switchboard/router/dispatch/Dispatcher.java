package io.switchboard.router.dispatch;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

import io.switchboard.router.admission.Admission;
import io.switchboard.router.admission.FlowMetrics;
import io.switchboard.router.admission.FlowPolicy;
import io.switchboard.router.admission.JobQueue;
import io.switchboard.router.admission.Queued;
import io.switchboard.router.admission.CriticalReserve;
import io.switchboard.router.admission.ProviderRouting;
import io.switchboard.router.admission.ServiceTimes;
import io.switchboard.router.registry.WorkerRegistry;
import io.switchboard.router.registry.WorkerSnapshot;
import io.switchboard.router.registry.WorkerState;
import io.switchboard.router.scheduling.Placement;
import io.switchboard.router.scheduling.PlacementRequest;
import io.switchboard.router.scheduling.WideJobHold;
import io.switchboard.schema.event.AssignmentReply;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.Providers;
import io.switchboard.schema.event.ServiceClass;
import io.switchboard.schema.event.WorkerHeartbeat;
import io.switchboard.schema.wire.JobOwners;

/**
 * The router's state machine: every input (a job, a heartbeat, a completion, a cancel, a clock tick)
 * goes in, the actions to carry out come out. No I/O and no clock of its own, so every decision is
 * checked in plain tests. Not thread-safe: {@link RouterLoop} calls it from one thread.
 * <p>
 * A job that arrives is first admitted ({@link Admission}: its tenant's queue cap, the longest it may wait and its
 * run against its deadline, the model's queue bound, which sheds the newest job of the lowest band), then waits in the
 * {@link JobQueue} (when it may run) until {@link Placement} (where) finds it a slot. Dispatch takes the next job of
 * each model's pool in turn, so one model's backlog never holds up another's, at O(log n) per decision.
 */
public final class Dispatcher {
    private static final int RECENTLY_COMPLETED = 4096;
    /** The reason a drop carries when the cancel named none. */
    static final String UNKNOWN_CANCEL_REASON = "cancelled";
    /** The shortest {@code Retry-After} a refusal for load suggests. */
    static final long MIN_RETRY_AFTER_MS = 1000;

    private final JobQueue queue;
    private final WorkerRegistry registry;
    private final ServiceTimes serviceTimes = new ServiceTimes();
    /** Per model, when its last critical job arrived: while recent, some of its slots are kept for critical jobs. */
    private final java.util.Map<String, Long> lastCriticalMs = new java.util.HashMap<>();
    private final Placement placement;
    private final FlowPolicy policy;
    private final FlowMetrics metrics;
    private final long workerTimeoutMs;
    private final long noWorkerWaitMs;
    private final int prefixBlocksPerWorker;
    private final long replyTimeoutMs;
    /** jobId → the assigned job, for the jobs in some worker's slot. */
    private final Map<String, Running> running = new HashMap<>();
    private final Map<String, Boolean> recentlyCompleted = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > RECENTLY_COMPLETED;
        }
    };
    /**
     * jobId → the worker it was taken back from: that worker's heartbeats may still list it for a while (it was only
     * thought dead, or has not stopped it yet), and must not make the router adopt it there again.
     */
    private final Map<String, String> takenBackFrom = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > RECENTLY_COMPLETED;
        }
    };
    /**
     * jobId → deadline, for the jobs written to the jobs topic again ({@link Action.Republish}) until their deadline: a
     * second record of one of them that finds it neither waiting nor running is settled (the job ended meanwhile,
     * perhaps long enough ago to be forgotten by {@link #recentlyCompleted}), never run again.
     */
    private final Map<String, Long> republished = new HashMap<>();
    /**
     * Whether this router acts (the active one): a standby follows the workers, never puts a job in line (its line
     * stays empty), and nothing it decides is carried out.
     */
    private boolean acting = true;
    /** Which model's pool dispatches first next time, so models sharing workers take turns. */
    private int rotation;
    /** Job id of a waiting job of several choices to the worker held for it ({@link WideJobHold}). */
    private final Map<String, WideJobHold.Held> holds = new HashMap<>();

    /**
     * A job in a slot: where it runs, the band whose counter it was charged to, its prompt estimate, its place in line
     * (to put it back there), whether the worker accepted it, and how many heartbeats since then did not list it. A job
     * adopted from a heartbeat has no job (until its record is delivered again) and no band.
     */
    private static final class Running {
        InferenceJob job;
        final String workerId;
        final ServiceClass band;
        final long estimatedPrompt;
        long dispatchedAtMs;
        final long enqueuedAtMs;
        final long seq;
        boolean accepted;
        int misses;
        /** Completion tokens already charged to its tenant from heartbeats' progress reports. */
        int chargedCompletion;

        Running(InferenceJob job, String workerId, ServiceClass band, long estimatedPrompt, long dispatchedAtMs,
                long enqueuedAtMs, long seq, boolean accepted) {
            this.job = job;
            this.workerId = workerId;
            this.band = band;
            this.estimatedPrompt = estimatedPrompt;
            this.dispatchedAtMs = dispatchedAtMs;
            this.enqueuedAtMs = enqueuedAtMs;
            this.seq = seq;
            this.accepted = accepted;
        }

        static Running adopted(String workerId, long nowMs) {
            return new Running(null, workerId, null, 0, nowMs, nowMs, -1, true);
        }
    }

    /** Heartbeats in a row that may omit an accepted job before its completion counts as lost. */
    static final int MISSES_BEFORE_LOST = 2;

    public Dispatcher(Placement placement, long workerTimeoutMs, long noWorkerWaitMs) {
        this(placement, workerTimeoutMs, noWorkerWaitMs, FlowPolicy.DEFAULTS, FlowMetrics.NONE);
    }

    public Dispatcher(Placement placement, long workerTimeoutMs, long noWorkerWaitMs, FlowPolicy policy,
            FlowMetrics metrics) {
        this(placement, workerTimeoutMs, noWorkerWaitMs, policy, metrics, WorkerRegistry.DEFAULT_PREFIX_BLOCKS);
    }

    /**
     * @param prefixBlocksPerWorker prompt block hashes remembered per worker for prefix affinity (0 remembers none, and
     *                              saves hashing every prompt)
     */
    public Dispatcher(Placement placement, long workerTimeoutMs, long noWorkerWaitMs, FlowPolicy policy,
            FlowMetrics metrics, int prefixBlocksPerWorker) {
        this(placement, workerTimeoutMs, noWorkerWaitMs, policy, metrics, prefixBlocksPerWorker, DEFAULT_REPLY_TIMEOUT_MS);
    }

    /** How long an assignment may go unanswered before the router ends it as if its worker were lost. */
    public static final long DEFAULT_REPLY_TIMEOUT_MS = 5_000;

    /**
     * @param replyTimeoutMs how long an assignment may go unanswered by a worker that keeps heartbeating before the
     *                       job is taken back ({@link Action.Orphan})
     */
    public Dispatcher(Placement placement, long workerTimeoutMs, long noWorkerWaitMs, FlowPolicy policy,
            FlowMetrics metrics, int prefixBlocksPerWorker, long replyTimeoutMs) {
        this.replyTimeoutMs = replyTimeoutMs;
        this.registry = new WorkerRegistry(prefixBlocksPerWorker);
        this.prefixBlocksPerWorker = prefixBlocksPerWorker;
        this.placement = placement;
        this.workerTimeoutMs = workerTimeoutMs;
        this.noWorkerWaitMs = noWorkerWaitMs;
        this.policy = policy;
        this.metrics = metrics;
        metrics.heldWorkers(0);
        this.queue = new JobQueue(policy, metrics);
    }

    /**
     * A job's record arrived. One already waiting here is ignored; one already running (adopted from a heartbeat
     * after a failover, or accepted) or ended is settled at once: delivered again, it runs once.
     */
    public List<Action> onJob(InferenceJob job, long nowMs) {
        if (queue.contains(job.jobId())) {
            return List.of();
        }
        Running known = running.get(job.jobId());
        if (known != null) {
            if (known.job == null) {
                // adopted from a heartbeat at one slot: now its choices are known, it counts them all
                known.job = job;
                registry.get(known.workerId).ifPresent(w -> w.assign(job.jobId(), job.sequences()));
            }
            return known.accepted ? List.of(new Action.Settle(job.jobId())) : List.of();
        }
        if (recentlyCompleted.containsKey(job.jobId()) || republished.containsKey(job.jobId())) {
            return List.of(new Action.Settle(job.jobId()));
        }
        if (job.expiredAt(nowMs)) {
            return List.of(refuse(job, FailureCode.QUEUE_TIMEOUT, "The request expired before it could be scheduled."));
        }
        if (!Admission.tenantHasRoom(queue.queuedOf(job.tenantId()), policy.maxQueuedPerTenant())) {
            return List.of(refuse(job, FailureCode.TENANT_QUEUE_FULL, "Too many of this tenant's requests are waiting (at most "
                    + policy.maxQueuedPerTenant() + "); retry later.", retryAfterFor(job.model())));
        }
        if (job.provider() != null && registry.anyServes(job.model()) && !registry.anyServes(job.model(), job.provider())) {
            return List.of(refuse(job, FailureCode.NO_WORKER_AVAILABLE, "No " + job.provider() + " worker serves model '"
                    + job.model() + "'; send the request without 'provider' to let Switchboard choose."));
        }
        int slots = registry.slotsServing(job.model());
        OptionalDouble mean = serviceTimes.meanMs(job.model());
        OptionalLong longest = Admission.longestWaitMs(queue.slotsAheadOf(job), job.sequences(), slots,
                freeSlotsFor(job, slots, nowMs), mean);
        if (Admission.deadlineUnreachable(longest, mean, job.deadlineAtMs() - nowMs, policy.deadlineMargin())) {
            return List.of(refuse(job, FailureCode.DEADLINE_UNREACHABLE, "The request could wait up to "
                    + longest.getAsLong() + " ms for a worker, then run for about "
                    + Math.round(mean.getAsDouble()) + " ms: it could not finish before its "
                    + "deadline; retry later or with a longer timeout.",
                    Math.max(MIN_RETRY_AFTER_MS, longest.getAsLong())));
        }
        queue.add(job, nowMs);
        if (job.serviceClass() == ServiceClass.CRITICAL) {
            lastCriticalMs.put(job.model(), nowMs);
        }
        List<Action> actions = new ArrayList<>();
        if (queue.size(job.model()) > policy.maxQueuedPerModel()) {
            ServiceClass band = Admission.shedFrom(queue.depths(job.model()));
            Queued victim = queue.newest(job.model(), band).orElseThrow();
            queue.remove(victim.job().jobId());
            actions.add(refuse(victim.job(), FailureCode.OVERLOADED, "Model '" + job.model()
                    + "' has more requests waiting than it can serve; retry later.", retryAfterFor(job.model())));
        }
        actions.addAll(dispatch(nowMs));
        return actions;
    }

    /**
     * A worker's heartbeat: its liveness and slots, reconciled with what the router believes runs there, both ways.
     * A job it runs that the router does not know is adopted (it holds a slot; after a failover the new router learns
     * the running jobs this way). An accepted job it stopped listing ({@link #MISSES_BEFORE_LOST} heartbeats in a row)
     * without a completion arriving lost its completion (the worker restarted): its slot comes back and the job is
     * ended as an {@link Action.Orphan}.
     */
    public List<Action> onHeartbeat(WorkerHeartbeat hb, long nowMs) {
        WorkerState worker = registry.heartbeat(hb, nowMs);
        Set<String> listed = new HashSet<>(hb.runningJobs());
        List<Action> actions = new ArrayList<>();
        for (String jobId : List.copyOf(worker.assignedJobs())) {
            Running r = running.get(jobId);
            if (r == null || !r.accepted) {
                continue;
            }
            if (listed.contains(jobId)) {
                r.misses = 0;
                chargeProgress(r, hb.generated().getOrDefault(jobId, 0));
            } else if (++r.misses >= MISSES_BEFORE_LOST) {
                actions.add(orphan(jobId));
            }
        }
        for (String jobId : listed) {
            if (!running.containsKey(jobId) && !recentlyCompleted.containsKey(jobId)
                    && !hb.workerId().equals(takenBackFrom.get(jobId))) {
                Optional<InferenceJob> waiting = queue.remove(jobId);
                Running adopted = Running.adopted(hb.workerId(), nowMs);
                // a job still waiting here already runs there (an earlier router's assignment): it is not run twice
                waiting.ifPresent(j -> adopted.job = j);
                running.put(jobId, adopted);
                // a job this router never saw counts one slot until it ends (the worker refuses what does not fit)
                worker.assign(jobId, waiting.map(InferenceJob::sequences).orElse(1));
                if (waiting.isPresent()) {
                    actions.add(new Action.Settle(jobId));
                }
            }
        }
        actions.addAll(dispatch(nowMs));
        return actions;
    }

    /**
     * A worker's answer to an assignment. {@code ACCEPTED}: the job is settled. {@code FULL}: the slot and the
     * tenant's charge are given back, the job goes back in line at its old place, and the worker gets nothing more
     * until its next heartbeat. {@code CLAIMED}: someone else owns the job; it is let go (settled) without running
     * here. An answer about a job the router no longer holds on that worker changes nothing, but settles the job
     * when accepted.
     */
    public List<Action> onReply(AssignmentReply reply, long nowMs) {
        Running r = running.get(reply.jobId());
        boolean ours = r != null && r.workerId.equals(reply.workerId()) && !r.accepted;
        List<Action> actions = new ArrayList<>();
        switch (reply.verdict()) {
            case ACCEPTED -> {
                if (ours) {
                    r.accepted = true;
                }
                actions.add(new Action.Settle(reply.jobId()));
            }
            case FULL -> {
                if (ours) {
                    unassign(reply.jobId(), r);
                    registry.get(reply.workerId()).ifPresent(WorkerState::markFull);
                    queue.requeue(r.job, r.enqueuedAtMs, r.seq);
                    metrics.requeued(r.job.model(), "worker_full");
                }
            }
            case CLAIMED -> {
                if (ours) {
                    unassign(reply.jobId(), r);
                    actions.add(new Action.Settle(reply.jobId()));
                    actions.addAll(claimedBy(reply.owner(), r, nowMs));
                }
            }
        }
        actions.addAll(dispatch(nowMs));
        return actions;
    }

    /**
     * A job turned out to be owned by {@code owner}. Another live worker runs it: it counts there (its end is reported
     * from there, and if that worker dies it is taken back from it). A worker the router does not know (it died
     * during a failover): it is taken back from it at once. Anything else (the router, a gateway that gave up): it is
     * over.
     */
    private List<Action> claimedBy(String owner, Running r, long nowMs) {
        String jobId = r.job.jobId();
        if (!JobOwners.isWorker(owner) || owner.equals(r.workerId)) {
            recentlyCompleted.put(jobId, Boolean.TRUE);
            return List.of();
        }
        Running there = new Running(r.job, owner, null, 0, nowMs, r.enqueuedAtMs, r.seq, true);
        running.put(jobId, there);
        Optional<WorkerState> worker = registry.get(owner);
        if (worker.isPresent()) {
            worker.get().assign(jobId, r.job.sequences());
            return List.of();
        }
        return List.of(orphan(jobId));
    }

    /** Takes an assigned job out of its slot without it having run: its tenant's charge is given back. */
    private void unassign(String jobId, Running r) {
        running.remove(jobId);
        registry.get(r.workerId).ifPresent(w -> w.unassign(jobId));
        if (r.job != null && r.band != null) {
            queue.refund(r.job.model(), r.band, r.job.tenantId(), r.job.weight(), r.estimatedPrompt);
        }
    }

    /** Takes a job out of its slot to be ended under its owner claim (see {@link Action.Orphan}). */
    private Action orphan(String jobId) {
        Running r = running.get(jobId);
        unassign(jobId, r);
        recentlyCompleted.put(jobId, Boolean.TRUE);
        takenBackFrom.put(jobId, r.workerId);
        return new Action.Orphan(jobId, r.job, r.workerId, r.enqueuedAtMs, r.seq);
    }

    /**
     * An orphaned job that had sent nothing was released from its dead worker's claim: it goes back in line at its
     * old place, and runs elsewhere.
     */
    public List<Action> onOrphanRequeued(Action.Orphan orphan, long nowMs) {
        recentlyCompleted.remove(orphan.jobId());
        InferenceJob job = orphan.job();
        if (job.expiredAt(nowMs)) {
            return List.of(refuse(job, FailureCode.QUEUE_TIMEOUT, "No worker had room for the request before its deadline."));
        }
        queue.requeue(job, orphan.enqueuedAtMs(), orphan.seq() < 0 ? Long.MIN_VALUE : orphan.seq());
        metrics.requeued(job.model(), "worker_lost");
        List<Action> actions = new ArrayList<>();
        actions.add(republish(job));
        actions.addAll(dispatch(nowMs));
        return actions;
    }

    /** A running job generated {@code generated} tokens so far: the tokens not charged yet go on its tenant's counter. */
    private void chargeProgress(Running r, int generated) {
        if (r.job == null || r.band == null || generated <= r.chargedCompletion) {
            return;
        }
        int fresh = generated - r.chargedCompletion;
        queue.chargeProgress(r.job.model(), r.band, r.job.tenantId(), r.job.weight(), fresh);
        metrics.charged(r.job.tenantId(), r.band, 0, fresh);
        r.chargedCompletion = generated;
    }

    /**
     * A job left its worker's slot; its token counts (0 when unknown) settle its tenant's fair-share charge, less what
     * its progress reports already charged.
     */
    public List<Action> onCompletion(JobCompletion completion, long nowMs) {
        if (completion.outcome() == JobCompletion.Outcome.HANDED_BACK) {
            return onHandedBack(completion, nowMs);
        }
        Running held = running.get(completion.jobId());
        if (held != null && completion.workerId() != null && !held.workerId.equals(completion.workerId())) {
            // a worker the job was taken back from: the job runs elsewhere now, and that run's end is what counts
            return dispatch(nowMs);
        }
        Running r = release(completion.jobId());
        if (r != null && r.job != null && r.band != null) {
            InferenceJob job = r.job;
            int rest = Math.max(0, completion.completionTokens() - r.chargedCompletion);
            queue.settle(job.model(), r.band, job.tenantId(), job.weight(), r.estimatedPrompt,
                    completion.promptTokens(), rest);
            metrics.charged(job.tenantId(), r.band,
                    completion.promptTokens() > 0 ? completion.promptTokens() : r.estimatedPrompt, rest);
            if (completion.outcome() == JobCompletion.Outcome.FINISHED) {
                serviceTimes.observe(job.model(), nowMs - r.dispatchedAtMs);
            }
        }
        List<Action> actions = new ArrayList<>();
        // a completion may overtake the worker's answer to the assignment: the job is settled either way
        actions.add(new Action.Settle(completion.jobId()));
        actions.addAll(dispatch(nowMs));
        return actions;
    }

    /**
     * A local worker's engine failed before the job's first token, and the worker gave the job back unanswered (its
     * claim released while its stream was empty). When a live, available cloud worker could run it and the job asked
     * for no provider, it goes back in line at its old place, for the cloud only: the fallback to the cloud happens
     * before the first token or not at all. Otherwise it ends with the engine's failure, as the worker would have
     * ended it. Like a job taken back from a lost worker, it is written to the jobs topic again
     * ({@link Action.Republish}): its first record was settled when the worker took it.
     */
    private List<Action> onHandedBack(JobCompletion completion, long nowMs) {
        String jobId = completion.jobId();
        Running r = running.get(jobId);
        if (r == null || !r.workerId.equals(completion.workerId())) {
            return dispatch(nowMs);
        }
        unassign(jobId, r);
        // a heartbeat that worker sent before it gave the job back must not make it adopt the job again
        takenBackFrom.put(jobId, r.workerId);
        if (!acting) {
            // a standby only forgets it: the active router runs it again or ends it (and wrote it to Kafka again)
            return List.of();
        }
        List<Action> actions = new ArrayList<>();
        // a job adopted from heartbeats (after a takeover) has no record here: the hand-back carries it
        InferenceJob job = r.job != null ? r.job : completion.job();
        if (job == null) {
            // a worker older than v3 cannot hand back; nothing to run it again from
            recentlyCompleted.put(jobId, Boolean.TRUE);
            actions.add(new Action.Orphan(jobId, null, r.workerId, r.enqueuedAtMs, r.seq));
        } else if (job.provider() == null && registry.slotsAbleToRun(job, Providers.CLOUD) > 0) {
            InferenceJob cloud = job.withProvider(Providers.CLOUD);
            queue.requeue(cloud, r.enqueuedAtMs, r.seq);
            metrics.requeued(job.model(), "local_failed");
            actions.add(republish(cloud));
        } else {
            FailureCode code = FailureCode.ofWire(completion.failure(), FailureCode.INFERENCE_FAILED);
            recentlyCompleted.put(jobId, Boolean.TRUE);
            actions.add(new Action.Fail(job, code, completion.message() != null ? completion.message()
                    : "The model failed before its first token."));
        }
        actions.addAll(dispatch(nowMs));
        return actions;
    }

    /** Writes the job to the jobs topic again, and remembers it until its deadline (see {@link #republished}). */
    private Action republish(InferenceJob job) {
        republished.put(job.jobId(), job.deadlineAtMs());
        return new Action.Republish(job);
    }

    /**
     * This router becomes the active one ({@code true}) or a standby. A standby's line is empty: nothing it would
     * have decided was carried out.
     */
    public void acting(boolean now) {
        acting = now;
    }

    /** A job finished, its token counts unknown. */
    public List<Action> onCompletion(String jobId, long nowMs) {
        return onCompletion(JobCompletion.of(jobId, null, JobCompletion.Outcome.FINISHED, nowMs), nowMs);
    }

    private Running release(String jobId) {
        Running r = running.remove(jobId);
        recentlyCompleted.put(jobId, Boolean.TRUE);
        if (r != null) {
            registry.get(r.workerId).ifPresent(w -> w.unassign(jobId));
        }
        return r;
    }

    /**
     * Nobody waits for the job any more ({@code reason}: client gone, request timed out): a waiting job is dropped
     * (and its end recorded); a running one ends when its worker reports it, and an unknown one is ignored.
     */
    public List<Action> onCancel(String jobId, String reason, long nowMs) {
        Optional<InferenceJob> waiting = queue.remove(jobId);
        if (waiting.isEmpty()) {
            return List.of();
        }
        List<Action> actions = new ArrayList<>();
        actions.add(new Action.Drop(waiting.get(), reason == null || reason.isBlank() ? UNKNOWN_CANCEL_REASON : reason));
        // it may have held its model's line, or a worker for its choices: what waited behind it may go now
        actions.addAll(dispatch(nowMs));
        return actions;
    }

    /**
     * The assignment could not be sent (Redis did not take it): the slot and the tenant's charge are given back and
     * the job goes back in line at its old place; it ends by its deadline if it never finds a way to a worker.
     */
    public List<Action> onAssignFailed(InferenceJob job, String reason, long nowMs) {
        Running r = running.get(job.jobId());
        if (r == null || r.accepted) {
            return List.of();
        }
        unassign(job.jobId(), r);
        queue.requeue(job, r.enqueuedAtMs, r.seq);
        metrics.requeued(job.model(), "assign_failed");
        return List.of();
    }

    /**
     * The router cannot read the workers' reports (Redis unreachable): their silence proves nothing, so no worker is
     * declared lost meanwhile; each gets a full timeout from when reading resumes.
     */
    public void holdLiveness(long nowMs) {
        registry.touchAll(nowMs);
        // the workers' answers cannot be read either: no assignment counts as unanswered meanwhile
        running.values().forEach(r -> {
            if (!r.accepted) {
                r.dispatchedAtMs = Math.max(r.dispatchedAtMs, nowMs);
            }
        });
    }

    public List<Action> tick(long nowMs) {
        List<Action> actions = new ArrayList<>();
        republished.values().removeIf(deadline -> deadline < nowMs);
        for (WorkerState gone : registry.expire(nowMs, workerTimeoutMs)) {
            for (String jobId : List.copyOf(gone.assignedJobs())) {
                if (running.containsKey(jobId)) {
                    actions.add(orphan(jobId));
                }
            }
        }
        List<String> unanswered = new ArrayList<>();
        running.forEach((jobId, r) -> {
            if (!r.accepted && nowMs - r.dispatchedAtMs > replyTimeoutMs) {
                unanswered.add(jobId);
            }
        });
        for (String jobId : unanswered) {
            actions.add(orphan(jobId));
        }
        for (InferenceJob job : queue.expire(nowMs)) {
            actions.add(refuse(job, FailureCode.QUEUE_TIMEOUT, "No worker had room for the request before its deadline."));
        }
        // a waiting job that could no longer finish in time even if it started now is refused now, not at its deadline
        for (InferenceJob job : queue.dueBefore(nowMs + Math.round(serviceTimes.maxMeanMs()))) {
            if (Admission.tooLateToStart(serviceTimes.meanMs(job.model()), job.deadlineAtMs() - nowMs)) {
                queue.remove(job.jobId());
                actions.add(refuse(job, FailureCode.DEADLINE_UNREACHABLE, "No worker could start the request in time "
                        + "to finish it before its deadline; retry later or with a longer timeout.", retryAfterFor(job.model())));
            }
        }
        for (String model : queue.modelsWaiting()) {
            if (!registry.anyServes(model)) {
                for (InferenceJob job : queue.removeQueuedSince(model, nowMs - noWorkerWaitMs)) {
                    actions.add(refuse(job, FailureCode.NO_WORKER_AVAILABLE,
                            "No worker serving model '" + job.model() + "' is available."));
                }
            } else {
                actions.addAll(refuseUnrunnableHeads(model, nowMs));
            }
        }
        queue.age(nowMs);
        actions.addAll(dispatch(nowMs));
        return actions;
    }

    /**
     * Hands out free slots, one decision at a time: among the models with waiting jobs, the next job (see
     * {@link JobQueue}) of the highest band goes first, so bands stay strict on workers that serve several models, and
     * models whose next jobs are in the same band take turns. A model whose next job has no place drops out of this
     * dispatch (slots only get fewer). Each decision costs O(models × log n).
     */
    private List<Action> dispatch(long nowMs) {
        if (queue.size() == 0 || registry.totalFreeSlots() == 0) {
            return List.of();
        }
        List<Action> actions = new ArrayList<>();
        List<String> models = queue.modelsWaiting();
        Collections.rotate(models, -Math.floorMod(rotation++, models.size()));
        // one snapshot per assignment: placement sees the slots taken by the previous one
        List<WorkerSnapshot> workers = registry.snapshots();
        holdForWideHeads(models, workers, nowMs);
        while (!models.isEmpty()) {
            String model = null;
            Queued next = null;
            for (Iterator<String> it = models.iterator(); it.hasNext();) {
                String m = it.next();
                Optional<Queued> head = queue.peek(m, nowMs);
                if (head.isEmpty()) {
                    it.remove();
                } else if (next == null || head.get().band().rank() < next.band().rank()) {
                    model = m;
                    next = head.get();
                }
            }
            if (next == null) {
                break;
            }
            models.remove(model);
            if (Admission.tooLateToStart(serviceTimes.meanMs(model), next.job().deadlineAtMs() - nowMs)) {
                // it could not finish in time if it started now: refused rather than run into its deadline
                queue.remove(next.job().jobId());
                holds.remove(next.job().jobId());
                actions.add(refuse(next.job(), FailureCode.DEADLINE_UNREACHABLE, "No worker could start the request in "
                        + "time to finish it before its deadline; retry later or with a longer timeout.", retryAfterFor(model)));
                models.add(model);
                continue;
            }
            if (CriticalReserve.holdsBack(next.band(), next.job().sequences(), registry.freeSlotsServing(model),
                    registry.slotsServing(model), policy.criticalReserve(), criticalRecently(model, nowMs))) {
                // the model's last free slots are kept for critical jobs; lower bands wait for more room
                continue;
            }
            PlacementRequest request = new PlacementRequest(next.job(), providersFor(next.job()), nowMs);
            Optional<String> target = placement.place(request, WideJobHold.open(next.job(), next.band(), workers, holds));
            if (target.isEmpty()) {
                continue;
            }
            holds.remove(next.job().jobId());
            WorkerState worker = registry.get(target.get()).orElseThrow();
            if (next.job().provider() == null && Providers.CLOUD.equals(worker.provider())) {
                metrics.overflowedToCloud(model);
            }
            actions.add(assign(next, request, worker, nowMs));
            if (registry.totalFreeSlots() == 0) {
                break;
            }
            models.add(model);
            workers = registry.snapshots();
        }
        return actions;
    }

    /**
     * Decides the holds again before any job of this round is placed: only a job of several choices that is first in
     * its model's line now, that the critical reserve does not keep back, and that finds no open worker with room for
     * all its choices holds one ({@link WideJobHold}), preferably the one it held before. Higher bands choose first,
     * and a worker held for a job of one band is not open to a job of the same or a lower band, so no two jobs that
     * would keep each other out hold the same worker.
     */
    private void holdForWideHeads(List<String> models, List<WorkerSnapshot> workers, long nowMs) {
        List<Queued> wide = new ArrayList<>();
        for (String m : models) {
            queue.peek(m, nowMs).filter(head -> head.job().sequences() > 1).ifPresent(wide::add);
        }
        if (wide.isEmpty() && holds.isEmpty()) {
            return;
        }
        Map<String, WideJobHold.Held> before = new HashMap<>(holds);
        holds.clear();
        wide.sort(java.util.Comparator.comparingInt((Queued q) -> q.band().rank()));
        for (Queued head : wide) {
            InferenceJob job = head.job();
            String model = job.model();
            if (CriticalReserve.holdsBack(head.band(), job.sequences(), registry.freeSlotsServing(model),
                    registry.slotsServing(model), policy.criticalReserve(), criticalRecently(model, nowMs))) {
                continue;
            }
            PlacementRequest request = new PlacementRequest(job, providersFor(job), nowMs);
            List<WorkerSnapshot> open = WideJobHold.open(job, head.band(), workers, holds);
            if (Placement.anyTakes(request, open)) {
                continue; // placed below
            }
            WideJobHold.choose(job, request, open, Optional.ofNullable(before.get(job.jobId())).map(WideJobHold.Held::workerId))
                    .ifPresent(w -> holds.put(job.jobId(), new WideJobHold.Held(w, head.band())));
        }
        metrics.heldWorkers((int) holds.values().stream().map(WideJobHold.Held::workerId).distinct().count());
    }

    /**
     * The job first in line waits for a worker with room for it, and the model's other jobs wait behind it; one that
     * no live worker could ever run (more choices than any has slots, a feature their engines no longer announce)
     * would hold the line until its deadline. After the same wait as for a model nobody serves, it is refused.
     */
    private List<Action> refuseUnrunnableHeads(String model, long nowMs) {
        List<Action> actions = new ArrayList<>();
        Optional<Queued> head = queue.peek(model, nowMs);
        while (head.isPresent() && head.get().enqueuedAtMs() <= nowMs - noWorkerWaitMs && !registry.anyCanRun(head.get().job())) {
            InferenceJob job = head.get().job();
            queue.remove(job.jobId());
            actions.add(refuse(job, FailureCode.NO_WORKER_AVAILABLE, "No worker serving model '" + model
                    + "' can run this request (" + job.sequences() + " choice(s) and the features it asks for)."));
            head = queue.peek(model, nowMs);
        }
        return actions;
    }

    /** The model's free slots this job may take now: not those held back for critical jobs when it is below critical. */
    private int freeSlotsFor(InferenceJob job, int slots, long nowMs) {
        int free = registry.freeSlotsServing(job.model()) - heldFreeSlots(job);
        if (job.serviceClass() != ServiceClass.CRITICAL && criticalRecently(job.model(), nowMs)) {
            free -= CriticalReserve.slots(slots, policy.criticalReserve());
        }
        return Math.max(0, free);
    }

    /**
     * The free slots serving the job's model on workers held for other jobs of its band or a higher one
     * ({@link WideJobHold}, as the last dispatch round decided): the job may not take them.
     */
    private int heldFreeSlots(InferenceJob job) {
        int free = 0;
        for (String workerId : WideJobHold.closedTo(job.jobId(), job.serviceClass(), holds)) {
            Optional<WorkerState> worker = registry.get(workerId);
            if (worker.isPresent() && worker.get().serves(job.model())) {
                free += worker.get().freeSlots();
            }
        }
        return free;
    }

    private boolean criticalRecently(String model, long nowMs) {
        Long last = lastCriticalMs.get(model);
        return last != null && nowMs - last <= policy.criticalReserveWindowMs();
    }

    /** Where flow control lets a job run now: its forced provider, or local first with overflow to the cloud. */
    private ProviderRouting.Allowed providersFor(InferenceJob job) {
        String model = job.model();
        // local capacity is what can run this job: workers with its features, not restarting
        int localSlots = registry.slotsAbleToRun(job, Providers.LOCAL);
        return ProviderRouting.allowed(job.provider(), localSlots, registry.freeSlotsAbleToRun(job, Providers.LOCAL),
                Admission.predictedWaitMs(queue.size(model), localSlots, serviceTimes.meanMs(model)),
                policy.cloudOverflowWaitMs());
    }

    /** Takes the slot, and remembers the prompt's blocks as the worker's (what prefix affinity scores next time). */
    private Action assign(Queued q, PlacementRequest request, WorkerState worker, long nowMs) {
        InferenceJob job = q.job();
        queue.take(q);
        worker.assign(job.jobId(), job.sequences());
        worker.assignedAt(nowMs);
        if (prefixBlocksPerWorker > 0) {
            long[] blocks = request.promptBlocks();
            metrics.placed(job.model(), worker.prefixes().matchedBlocks(blocks), blocks.length);
            worker.prefixes().served(blocks);
        }
        running.put(job.jobId(), new Running(job, worker.workerId(), q.band(), q.estimatedPromptTokens(), nowMs,
                q.enqueuedAtMs(), q.seq(), false));
        metrics.dispatched(job.model(), job.serviceClass(), nowMs - q.enqueuedAtMs());
        return new Action.Assign(job, worker.workerId());
    }

    private Action refuse(InferenceJob job, FailureCode code, String message) {
        return refuse(job, code, message, null);
    }

    /** When a request refused for load may find room: one job's mean service time on the model, at least a second. */
    private long retryAfterFor(String model) {
        return Math.max(MIN_RETRY_AFTER_MS, Math.round(serviceTimes.meanMs(model).orElse(0)));
    }

    /** A refusal for load: the client is told to try again after {@code retryAfterMs}. */
    private Action refuse(InferenceJob job, FailureCode code, String message, Long retryAfterMs) {
        metrics.refused(job.model(), job.serviceClass(), code);
        return new Action.Fail(job, code, message, retryAfterMs);
    }

    public List<WorkerSnapshot> workers() {
        return registry.snapshots();
    }

    public int queued() {
        return queue.size();
    }

    public int runningCount() {
        return running.size();
    }

    /** The queues per model, band and tenant, with depths and virtual token counters. */
    public List<JobQueue.PoolStatus> queues() {
        return queue.status();
    }
}
