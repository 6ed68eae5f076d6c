package io.switchboard.router.admission;

import java.util.Comparator;
import java.util.TreeSet;

/** One tenant's waiting jobs in one band of one model, in {@link Queued#WITHIN_TENANT} order, and its counter there. */
final class TenantQueue {
    /** Backlogged tenants by counter (lowest goes next); ties by tenant id, so the order is deterministic. */
    static final Comparator<TenantQueue> BY_COUNTER = Comparator.comparingDouble((TenantQueue t) -> t.counter)
            .thenComparing(t -> t.tenantId);

    final String tenantId;
    final TreeSet<Queued> jobs = new TreeSet<>(Queued.WITHIN_TENANT);
    /** The slots its waiting jobs take once they run: one per choice. */
    int slots;
    /** Service received, in weighted tokens; only changed while the tenant is out of its band's backlogged set. */
    double counter;
    /** The tenant's weight, as its latest job carries it. */
    double weight = 1.0;

    TenantQueue(String tenantId) {
        this.tenantId = tenantId;
    }
}
