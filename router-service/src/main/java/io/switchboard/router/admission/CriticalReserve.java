package io.switchboard.router.admission;

import io.switchboard.schema.event.ServiceClass;

/**
 * Slots held back for {@code critical} jobs: without preemption, a critical job that arrives while every slot runs a
 * batch job waits for one to finish (seconds), however strict the bands are. So while a model has recent critical
 * traffic, jobs of lower bands (standard, batch, aged batch) may not take the last {@code share} of its slots; a critical
 * job finds one free at once. With no critical job within the window nothing is held back. A pure decision.
 */
public final class CriticalReserve {
    private CriticalReserve() {
    }

    /**
     * The slots held back out of {@code totalSlots}: {@code share} of them, rounded up, but never all of them: a pool of
     * one slot keeps none, so lower bands are never shut out of a model altogether.
     */
    public static int slots(int totalSlots, double share) {
        return share <= 0 || totalSlots <= 1 ? 0 : Math.min(totalSlots - 1, (int) Math.ceil(totalSlots * share));
    }

    /**
     * Whether a job of {@code band} that takes {@code jobSlots} (one per choice) must be held back now: it would leave
     * fewer than the reserved slots free.
     *
     * @param freeSlots      free slots of the model's workers
     * @param totalSlots     all slots of the model's workers
     * @param criticalRecent whether a critical job of the model arrived within the reserve's window
     */
    public static boolean holdsBack(ServiceClass band, int jobSlots, int freeSlots, int totalSlots, double share,
            boolean criticalRecent) {
        return share > 0 && band != ServiceClass.CRITICAL && criticalRecent
                && freeSlots - jobSlots < slots(totalSlots, share);
    }
}
