package io.switchboard.router.admission;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import io.switchboard.schema.event.ServiceClass;

/**
 * One band of one model's pool: per-tenant fair share by virtual token counters. The backlogged tenants are kept
 * ordered by counter and each tenant's jobs by {@link Queued#WITHIN_TENANT}, so the next job is the first job of the
 * first tenant, and adding, removing or charging costs O(log n). Tenants that stop waiting keep their counter (lifted
 * when they return, see {@link VirtualTokens#lifted}).
 */
final class BandQueue {
    final ServiceClass band;
    private final Map<String, TenantQueue> tenants = new HashMap<>();
    private final TreeSet<TenantQueue> backlogged = new TreeSet<>(TenantQueue.BY_COUNTER);
    private final TreeSet<Queued> byArrival = new TreeSet<>(Queued.BY_ARRIVAL);
    /** The slots the waiting jobs take once they run: one per choice ({@link io.switchboard.schema.event.InferenceJob#sequences()}). */
    private int slots;
    /** The counter of the tenant served last: where a tenant returning to an empty band starts. */
    private double floor;

    BandQueue(ServiceClass band) {
        this.band = band;
    }

    void add(Queued q) {
        TenantQueue t = tenants.computeIfAbsent(q.job().tenantId(), TenantQueue::new);
        t.weight = q.job().weight();
        boolean added;
        if (t.jobs.isEmpty()) {
            t.counter = VirtualTokens.lifted(t.counter, backlogged.isEmpty() ? floor : backlogged.first().counter);
            added = t.jobs.add(q);
            backlogged.add(t);
        } else {
            added = t.jobs.add(q);
        }
        if (added) {
            t.slots += q.job().sequences();
            slots += q.job().sequences();
        }
        byArrival.add(q);
    }

    void remove(Queued q) {
        TenantQueue t = tenants.get(q.job().tenantId());
        if (t == null || !t.jobs.remove(q)) {
            return;
        }
        if (t.jobs.isEmpty()) {
            backlogged.remove(t);
        }
        t.slots -= q.job().sequences();
        slots -= q.job().sequences();
        byArrival.remove(q);
    }

    /** The job that goes next: the first job of the backlogged tenant with the lowest counter; null when empty. */
    Queued peek() {
        return backlogged.isEmpty() ? null : backlogged.first().jobs.first();
    }

    /** Takes {@code q} out for dispatch and charges its tenant {@code charge}. */
    void take(Queued q, double charge) {
        TenantQueue t = tenants.get(q.job().tenantId());
        floor = Math.max(floor, t.counter);
        remove(q);
        charge(q.job().tenantId(), charge);
    }

    /** Adds {@code amount} to a tenant's counter (re-ordering it among the backlogged tenants). */
    void charge(String tenantId, double amount) {
        TenantQueue t = tenants.computeIfAbsent(tenantId, TenantQueue::new);
        boolean waiting = !t.jobs.isEmpty() && backlogged.remove(t);
        t.counter += amount;
        if (waiting) {
            backlogged.add(t);
        }
    }

    int size() {
        return byArrival.size();
    }

    /** The slots the waiting jobs here take once they run (a job of n choices takes n). */
    int slots() {
        return slots;
    }

    Queued oldest() {
        return byArrival.isEmpty() ? null : byArrival.first();
    }

    Queued newest() {
        return byArrival.isEmpty() ? null : byArrival.last();
    }

    /** The tenant's waiting jobs here. */
    int queuedOf(String tenantId) {
        TenantQueue t = tenants.get(tenantId);
        return t == null ? 0 : t.jobs.size();
    }

    /** The slots the tenant's waiting jobs here take once they run. */
    int slotsOf(String tenantId) {
        TenantQueue t = tenants.get(tenantId);
        return t == null ? 0 : t.slots;
    }

    /** The tenant's job that goes last here; null when it has none. */
    Queued lastOf(String tenantId) {
        TenantQueue t = tenants.get(tenantId);
        return t == null || t.jobs.isEmpty() ? null : t.jobs.last();
    }

    /** The tenant's counter here; 0 for a tenant never seen. */
    double counterOf(String tenantId) {
        TenantQueue t = tenants.get(tenantId);
        return t == null ? 0 : t.counter;
    }

    /** Every tenant seen in this band, with its waiting jobs and counter (for the status API: O(tenants)). */
    List<JobQueue.TenantStatus> status() {
        List<JobQueue.TenantStatus> out = new ArrayList<>();
        for (TenantQueue t : tenants.values()) {
            out.add(new JobQueue.TenantStatus(t.tenantId, t.jobs.size(), t.counter, t.weight));
        }
        out.sort(Comparator.comparing(JobQueue.TenantStatus::tenant));
        return out;
    }
}
