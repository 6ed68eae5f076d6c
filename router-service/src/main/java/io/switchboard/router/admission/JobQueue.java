package io.switchboard.router.admission;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.ServiceClass;

/**
 * Flow control: decides <em>when</em> each waiting job may be dispatched; where it goes is
 * {@link io.switchboard.router.scheduling.Placement}'s decision. Jobs wait per model (a pool: one model's backlog never
 * blocks another's), and within a pool:
 * <ol>
 * <li>by band, strictly ({@code critical} before {@code standard} before {@code batch}), except that a batch job that
 * has waited {@link FlowPolicy#batchMaxWaitMs()} is ordered as a standard one (aging), so batch is never starved;</li>
 * <li>within a band, by tenant: the backlogged tenant with the lowest virtual token counter goes next
 * ({@link VirtualTokens});</li>
 * <li>within a tenant, by the request's priority (lower first), then the earliest deadline, then arrival.</li>
 * </ol>
 * Every operation costs O(log n) (plus the jobs it moves or returns): jobs are indexed by id, by deadline and, per
 * band, by arrival, so nothing walks or copies the queue. Not thread-safe (owned by the dispatcher's single thread).
 */
public final class JobQueue {

    /** One tenant in one band of one model, for the status API. */
    public record TenantStatus(String tenant, int queued, double counter, double weight) {
    }

    /** One band of one model. */
    public record BandStatus(String band, int queued, List<TenantStatus> tenants) {
    }

    /** One model's pool. */
    public record PoolStatus(String model, int queued, List<BandStatus> bands) {
    }

    /** One model's waiting jobs, one {@link BandQueue} per band (indexed by {@link ServiceClass#rank()}). */
    private static final class Pool {
        final String model;
        final BandQueue[] bands = new BandQueue[ServiceClass.values().length];

        Pool(String model) {
            this.model = model;
            for (ServiceClass c : ServiceClass.values()) {
                bands[c.rank()] = new BandQueue(c);
            }
        }

        BandQueue band(ServiceClass c) {
            return bands[c.rank()];
        }

        int size() {
            int n = 0;
            for (BandQueue b : bands) {
                n += b.size();
            }
            return n;
        }
    }

    private final FlowPolicy policy;
    private final FlowMetrics metrics;
    private final Map<String, Pool> pools = new LinkedHashMap<>();
    private final Map<String, Queued> byId = new HashMap<>();
    private final TreeSet<Queued> byDeadline = new TreeSet<>(Queued.BY_DEADLINE);
    private final Map<String, Integer> perTenant = new HashMap<>();
    private long nextSeq;

    public JobQueue() {
        this(FlowPolicy.DEFAULTS, FlowMetrics.NONE);
    }

    public JobQueue(FlowPolicy policy, FlowMetrics metrics) {
        this.policy = policy;
        this.metrics = metrics;
    }

    /** Adds a job: the waiting entry, or empty for a duplicate (a redelivered Kafka record). */
    public Optional<Queued> add(InferenceJob job, long nowMs) {
        return add(job, nowMs, nextSeq++);
    }

    /**
     * Puts back a job that had left the queue for a worker that refused it or was lost before it started: it keeps
     * the arrival time and order it had ({@code enqueuedAtMs}, {@code seq} of its first {@link Queued}).
     */
    public Optional<Queued> requeue(InferenceJob job, long enqueuedAtMs, long seq) {
        return add(job, enqueuedAtMs, seq);
    }

    private Optional<Queued> add(InferenceJob job, long nowMs, long seq) {
        if (byId.containsKey(job.jobId())) {
            return Optional.empty();
        }
        Queued q = new Queued(job, seq, nowMs);
        byId.put(job.jobId(), q);
        byDeadline.add(q);
        perTenant.merge(job.tenantId(), 1, Integer::sum);
        Pool pool = pools.computeIfAbsent(job.model(), Pool::new);
        pool.band(q.band()).add(q);
        depthChanged(pool, q.band());
        return Optional.of(q);
    }

    /** Takes a job out of the queue (cancelled, expired, shed): the job, or empty when it was not waiting here. */
    public Optional<InferenceJob> remove(String jobId) {
        Queued q = byId.get(jobId);
        if (q == null) {
            return Optional.empty();
        }
        unlink(q);
        pools.get(q.job().model()).band(q.band()).remove(q);
        depthChanged(pools.get(q.job().model()), q.band());
        return Optional.of(q.job());
    }

    /** The job of {@code model} that goes next (after aging the model's batch jobs at {@code nowMs}); empty when none waits. */
    public Optional<Queued> peek(String model, long nowMs) {
        Pool pool = pools.get(model);
        if (pool == null) {
            return Optional.empty();
        }
        age(pool, nowMs);
        for (BandQueue band : pool.bands) {
            Queued q = band.peek();
            if (q != null) {
                return Optional.of(q);
            }
        }
        return Optional.empty();
    }

    /** {@code q} is dispatched: it leaves the queue and its tenant's counter is charged its estimated prompt. */
    public void take(Queued q) {
        unlink(q);
        Pool pool = pools.get(q.job().model());
        pool.band(q.band()).take(q,
                VirtualTokens.atDispatch(q.estimatedPromptTokens(), policy.promptWeight(), q.job().weight()));
        depthChanged(pool, q.band());
    }

    /**
     * A job dispatched from {@code band} of {@code model} ended: its tenant's counter is corrected to what it really
     * used ({@link VirtualTokens#atCompletion}). The charge in weighted tokens is returned.
     */
    public double settle(String model, ServiceClass band, String tenantId, double weight, long estimatedPrompt,
            int promptTokens, int completionTokens) {
        double charge = VirtualTokens.atCompletion(estimatedPrompt, promptTokens, completionTokens, policy.promptWeight(),
                policy.completionWeight(), weight);
        pools.computeIfAbsent(model, Pool::new).band(band).charge(tenantId, charge);
        return charge;
    }

    /** A running job of {@code band} of {@code model} generated {@code newTokens} more: its tenant is charged them now. */
    public double chargeProgress(String model, ServiceClass band, String tenantId, double weight, int newTokens) {
        double charge = VirtualTokens.progress(newTokens, policy.completionWeight(), weight);
        pools.computeIfAbsent(model, Pool::new).band(band).charge(tenantId, charge);
        return charge;
    }

    /** Gives back a dispatch charge (the job never reached a worker). */
    public void refund(String model, ServiceClass band, String tenantId, double weight, long estimatedPrompt) {
        pools.computeIfAbsent(model, Pool::new).band(band).charge(tenantId,
                -VirtualTokens.atDispatch(estimatedPrompt, policy.promptWeight(), weight));
    }

    /** Removes and returns the jobs whose deadline has passed at {@code nowMs}, earliest deadline first. */
    public List<InferenceJob> expire(long nowMs) {
        List<InferenceJob> expired = new ArrayList<>();
        while (!byDeadline.isEmpty() && byDeadline.first().job().expiredAt(nowMs)) {
            expired.add(remove(byDeadline.first().job().jobId()).orElseThrow());
        }
        return expired;
    }

    /** The waiting jobs whose deadline comes before {@code atMs}, earliest first (left in the queue). */
    public List<InferenceJob> dueBefore(long atMs) {
        List<InferenceJob> due = new ArrayList<>();
        for (Queued q : byDeadline) {
            if (q.job().deadlineAtMs() >= atMs) {
                break;
            }
            due.add(q.job());
        }
        return due;
    }

    /** Removes and returns {@code model}'s jobs queued at or before {@code enqueuedAtOrBeforeMs}, oldest first. */
    public List<InferenceJob> removeQueuedSince(String model, long enqueuedAtOrBeforeMs) {
        Pool pool = pools.get(model);
        List<InferenceJob> removed = new ArrayList<>();
        while (pool != null) {
            Queued oldest = null;
            for (BandQueue band : pool.bands) {
                Queued q = band.oldest();
                if (q != null && (oldest == null || q.seq() < oldest.seq())) {
                    oldest = q;
                }
            }
            if (oldest == null || oldest.enqueuedAtMs() > enqueuedAtOrBeforeMs) {
                break;
            }
            removed.add(remove(oldest.job().jobId()).orElseThrow());
        }
        return removed;
    }

    /** Orders the batch jobs of every model that have waited {@link FlowPolicy#batchMaxWaitMs()} as standard ones. */
    public void age(long nowMs) {
        for (Pool pool : pools.values()) {
            age(pool, nowMs);
        }
    }

    private void age(Pool pool, long nowMs) {
        BandQueue batch = pool.band(ServiceClass.BATCH);
        BandQueue standard = pool.band(ServiceClass.STANDARD);
        boolean moved = false;
        for (Queued q = batch.oldest(); q != null && nowMs - q.enqueuedAtMs() >= policy.batchMaxWaitMs(); q = batch.oldest()) {
            batch.remove(q);
            q.band(ServiceClass.STANDARD);
            standard.add(q);
            moved = true;
        }
        if (moved) {
            depthChanged(pool, ServiceClass.BATCH);
            depthChanged(pool, ServiceClass.STANDARD);
        }
    }

    /**
     * A lower bound on the slots that the jobs dispatched before {@code job} will take if it is queued now in its
     * model's pool (one per choice: a job of {@code n} choices takes {@code n}): those of every job of the bands above
     * its own (for a batch job only critical, as aging may lift it over standard), plus its own tenant's jobs in its
     * band when it orders after all of them. Other tenants of its band are not counted: fair share may put it before
     * them.
     */
    public int slotsAheadOf(InferenceJob job) {
        Pool pool = pools.get(job.model());
        if (pool == null) {
            return 0;
        }
        ServiceClass own = job.serviceClass();
        int ahead = 0;
        int above = own == ServiceClass.BATCH ? ServiceClass.STANDARD.rank() : own.rank();
        for (int rank = 0; rank < above; rank++) {
            ahead += pool.bands[rank].slots();
        }
        BandQueue band = pool.band(own);
        Queued last = band.lastOf(job.tenantId());
        if (last != null && orderAfter(job, last)) {
            ahead += band.slotsOf(job.tenantId());
        }
        return ahead;
    }

    private static boolean orderAfter(InferenceJob job, Queued last) {
        if (job.priority() != last.job().priority()) {
            return job.priority() > last.job().priority();
        }
        return job.deadlineAtMs() >= last.job().deadlineAtMs();
    }

    /** The newest waiting job of {@code model} in {@code band}: the one shed first. */
    public Optional<Queued> newest(String model, ServiceClass band) {
        Pool pool = pools.get(model);
        return pool == null ? Optional.empty() : Optional.ofNullable(pool.band(band).newest());
    }

    /** Waiting jobs of {@code model}, per band, indexed by {@link ServiceClass#rank()}. */
    public int[] depths(String model) {
        int[] depths = new int[ServiceClass.values().length];
        Pool pool = pools.get(model);
        if (pool != null) {
            for (BandQueue band : pool.bands) {
                depths[band.band.rank()] = band.size();
            }
        }
        return depths;
    }

    /** The models with waiting jobs, in the order their pools were made. O(models). */
    public List<String> modelsWaiting() {
        List<String> models = new ArrayList<>();
        for (Pool pool : pools.values()) {
            if (pool.size() > 0) {
                models.add(pool.model);
            }
        }
        return models;
    }

    public boolean contains(String jobId) {
        return byId.containsKey(jobId);
    }

    public int size() {
        return byId.size();
    }

    public int size(String model) {
        Pool pool = pools.get(model);
        return pool == null ? 0 : pool.size();
    }

    /** The tenant's waiting jobs, all models and bands together. */
    public int queuedOf(String tenantId) {
        return perTenant.getOrDefault(tenantId, 0);
    }

    /** The tenant's virtual token counter in {@code band} of {@code model}; 0 for one never seen there. */
    public double counterOf(String model, ServiceClass band, String tenantId) {
        Pool pool = pools.get(model);
        return pool == null ? 0 : pool.band(band).counterOf(tenantId);
    }

    /** Every pool, band and tenant the queue knows, with depths and counters (O(models × tenants), for operators). */
    public List<PoolStatus> status() {
        List<PoolStatus> out = new ArrayList<>();
        for (Pool pool : pools.values()) {
            List<BandStatus> bands = new ArrayList<>();
            for (BandQueue band : pool.bands) {
                bands.add(new BandStatus(band.band.wire(), band.size(), band.status()));
            }
            out.add(new PoolStatus(pool.model, pool.size(), bands));
        }
        return out;
    }

    /** Drops {@code q} from the indexes across pools (id, deadline, tenant count); its band is the caller's. */
    private void unlink(Queued q) {
        byId.remove(q.job().jobId());
        byDeadline.remove(q);
        perTenant.computeIfPresent(q.job().tenantId(), (t, n) -> n > 1 ? n - 1 : null);
    }

    private void depthChanged(Pool pool, ServiceClass band) {
        metrics.depth(pool.model, band, pool.band(band).size());
    }
}
