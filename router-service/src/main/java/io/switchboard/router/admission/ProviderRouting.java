package io.switchboard.router.admission;

import java.util.OptionalLong;

import io.switchboard.schema.event.Providers;

/**
 * Which providers a waiting job may be placed on now (seed 000's {@code provider}): a forced {@code local} or
 * {@code cloud} is kept; automatic routing runs locally, and overflows to a cloud worker only when the model's local
 * capacity is down (no live local slot) or saturated (no free local slot, and the local queue predicted to make the job
 * wait longer than the bound). A pure decision; placement then picks among the allowed workers. Falling back only
 * happens before the job starts: once a worker accepted it, it stays there.
 */
public final class ProviderRouting {
    private ProviderRouting() {
    }

    /** Where a job may go: local workers, cloud workers, or both (local preferred). */
    public record Allowed(boolean local, boolean cloud) {
        public static final Allowed LOCAL_ONLY = new Allowed(true, false);
        public static final Allowed CLOUD_ONLY = new Allowed(false, true);
        public static final Allowed BOTH = new Allowed(true, true);

        public boolean allows(String provider) {
            return Providers.CLOUD.equals(provider) ? cloud : local;
        }
    }

    /**
     * @param requested           the job's {@code provider}: local, cloud, or null for automatic routing
     * @param liveLocalSlots      slots of live local workers serving the model
     * @param freeLocalSlots      of those, free now
     * @param predictedLocalWaitMs how long the model's local queue would make a job wait (empty: not known yet)
     * @param overflowWaitMs      the bound beyond which automatic routing overflows to the cloud
     */
    public static Allowed allowed(String requested, int liveLocalSlots, int freeLocalSlots, OptionalLong predictedLocalWaitMs,
            long overflowWaitMs) {
        if (Providers.LOCAL.equals(requested)) {
            return Allowed.LOCAL_ONLY;
        }
        if (Providers.CLOUD.equals(requested)) {
            return Allowed.CLOUD_ONLY;
        }
        if (liveLocalSlots == 0) {
            return Allowed.BOTH;
        }
        if (freeLocalSlots > 0) {
            return Allowed.LOCAL_ONLY;
        }
        boolean saturated = predictedLocalWaitMs.isPresent() && predictedLocalWaitMs.getAsLong() > overflowWaitMs;
        return saturated ? Allowed.BOTH : Allowed.LOCAL_ONLY;
    }
}
