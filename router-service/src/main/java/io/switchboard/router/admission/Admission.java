package io.switchboard.router.admission;

import java.util.OptionalDouble;
import java.util.OptionalLong;

import io.switchboard.schema.event.ServiceClass;

/**
 * The refusals of flow control, each a small pure function: a tenant's queue cap, which band a saturated model
 * sheds from, and whether a job's deadline is out of reach before it waits for it.
 */
public final class Admission {
    private Admission() {
    }

    /** Whether a tenant with {@code queued} waiting jobs may queue one more under a cap of {@code cap}. */
    public static boolean tenantHasRoom(int queued, int cap) {
        return queued < cap;
    }

    /**
     * The band a model's pool over its bound sheds its newest job from: batch first, then standard; critical only
     * when nothing else waits. Depths are indexed by {@link ServiceClass#rank()}.
     */
    public static ServiceClass shedFrom(int[] depthByRank) {
        for (int rank = ServiceClass.values().length - 1; rank > 0; rank--) {
            if (depthByRank[rank] > 0) {
                return ServiceClass.values()[rank];
            }
        }
        return ServiceClass.CRITICAL;
    }

    /**
     * Predicted queue wait of a job with {@code jobsAhead} jobs dispatched before it, in a pool of {@code slots}
     * slots whose jobs take {@code meanServiceMs} on average: one mean service time per full round of the slots
     * ahead of it. With fewer jobs ahead than slots it is 0 (a slot may free at any moment). What cloud overflow
     * weighs; taking a job on for its deadline uses {@link #longestWaitMs}. Empty when it cannot be
     * told: no live slot for the model, or no finished job measured yet.
     */
    public static OptionalLong predictedWaitMs(int jobsAhead, int slots, OptionalDouble meanServiceMs) {
        if (slots <= 0 || meanServiceMs.isEmpty()) {
            return OptionalLong.empty();
        }
        return OptionalLong.of((long) ((jobsAhead / slots) * meanServiceMs.getAsDouble()));
    }

    /**
     * The longest a job that takes {@code jobSlots} slots (one per choice), behind jobs that take {@code slotsAhead}
     * slots dispatched before it, may wait in a pool of {@code slots} slots of which {@code freeSlots} are free now,
     * whose jobs take {@code meanServiceMs}: 0 while enough free slots are left for it; otherwise every busy slot may
     * have just started its job, so it waits one full service time for the first round and one more per full round of
     * the slots ahead of it and its own. The pool is counted as one: a job's choices run on one worker, so a pool of
     * several workers may make it wait longer than this (documented in docs/architecture.md). While jobs take their
     * mean time and no job that arrives later goes before it (a higher band, another tenant's turn in fair share), a
     * job admitted on this bound is not refused later for its deadline; the expected wait ({@link #predictedWaitMs})
     * admits jobs that then miss by up to one service time and are refused seconds after they came. Empty when it
     * cannot be told: no live slot for the model, or no finished job measured yet.
     */
    public static OptionalLong longestWaitMs(int slotsAhead, int jobSlots, int slots, int freeSlots,
            OptionalDouble meanServiceMs) {
        if (slots <= 0 || meanServiceMs.isEmpty()) {
            return OptionalLong.empty();
        }
        int missing = slotsAhead + Math.max(1, jobSlots) - Math.max(0, freeSlots);
        if (missing <= 0) {
            return OptionalLong.of(0);
        }
        int rounds = (missing - 1) / slots + 1;
        return OptionalLong.of((long) (rounds * meanServiceMs.getAsDouble()));
    }

    /**
     * Whether a job predicted to wait {@code predictedWaitMs}, then to run for the model's mean service time plus
     * {@code margin} of it, would reach its deadline first ({@code remainingMs} left): better refused now, with a time
     * to retry, than answered with a timeout at its deadline, or refused later when its run cannot start in time.
     */
    public static boolean deadlineUnreachable(OptionalLong predictedWaitMs, OptionalDouble meanServiceMs, long remainingMs,
            double margin) {
        return predictedWaitMs.isPresent() && meanServiceMs.isPresent()
                && predictedWaitMs.getAsLong() + meanServiceMs.getAsDouble() * (1 + margin) > remainingMs;
    }

    /**
     * Whether a job still waiting, with {@code remainingMs} to its deadline, can no longer finish in time even if it
     * started now (the model's jobs take {@code meanServiceMs}): refused at once rather than left to time out.
     */
    public static boolean tooLateToStart(OptionalDouble meanServiceMs, long remainingMs) {
        return meanServiceMs.isPresent() && meanServiceMs.getAsDouble() > remainingMs;
    }
}
