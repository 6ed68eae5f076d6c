package io.switchboard.router.admission;

/**
 * The settings of flow control (when a job may run), as plain numbers so the queue stays free of configuration
 * machinery; the router builds it from {@code switchboard.router.*}.
 *
 * @param batchMaxWaitMs     a batch job that has waited this long is ordered as a standard one (aging)
 * @param promptWeight       fair-share cost of a prompt token
 * @param completionWeight   fair-share cost of a generated token
 * @param maxQueuedPerTenant jobs one tenant may have waiting (all models together); more are refused
 * @param maxQueuedPerModel  jobs one model's pool may have waiting; beyond it the newest of the lowest band is shed
 * @param cloudOverflowWaitMs a job with automatic provider routing may go to a cloud worker once the model's local
 *                           queue is predicted to make it wait longer than this (or no local worker is live)
 * @param criticalReserve    the share of a model's slots that jobs below {@code critical} may not take while critical
 *                           jobs of the model arrived within {@code criticalReserveWindowMs} ({@link CriticalReserve})
 * @param criticalReserveWindowMs how long after the last critical job the reserve is kept
 * @param deadlineMargin     the share of a model's mean service time an arriving job must have to spare past its
 *                           longest wait and its own run to be taken ({@link Admission#deadlineUnreachable}): room for
 *                           jobs that run a little longer, so a job once taken is rarely refused later for its deadline
 */
public record FlowPolicy(long batchMaxWaitMs, double promptWeight, double completionWeight, int maxQueuedPerTenant,
        int maxQueuedPerModel, long cloudOverflowWaitMs, double criticalReserve, long criticalReserveWindowMs,
        double deadlineMargin) {

    static final long DEFAULT_OVERFLOW_MS = 2_000;
    static final double DEFAULT_CRITICAL_RESERVE = 0.125;
    static final long DEFAULT_CRITICAL_RESERVE_WINDOW_MS = 60_000;
    static final double DEFAULT_DEADLINE_MARGIN = 0.2;

    public FlowPolicy {
        if (!(deadlineMargin >= 0 && deadlineMargin <= 10)) {
            throw new IllegalArgumentException("switchboard.router.deadline-margin must be between 0 and 10 (a share of a"
                    + " run), not " + deadlineMargin);
        }
    }

    /** The defaults of {@code switchboard.router.*}. */
    public static final FlowPolicy DEFAULTS = new FlowPolicy(30_000, 1.0, 2.0, 1000, 10_000);

    /** The default overflow bound and critical reserve. */
    public FlowPolicy(long batchMaxWaitMs, double promptWeight, double completionWeight, int maxQueuedPerTenant,
            int maxQueuedPerModel) {
        this(batchMaxWaitMs, promptWeight, completionWeight, maxQueuedPerTenant, maxQueuedPerModel, DEFAULT_OVERFLOW_MS);
    }

    /** The default critical reserve. */
    public FlowPolicy(long batchMaxWaitMs, double promptWeight, double completionWeight, int maxQueuedPerTenant,
            int maxQueuedPerModel, long cloudOverflowWaitMs) {
        this(batchMaxWaitMs, promptWeight, completionWeight, maxQueuedPerTenant, maxQueuedPerModel, cloudOverflowWaitMs,
                DEFAULT_CRITICAL_RESERVE, DEFAULT_CRITICAL_RESERVE_WINDOW_MS);
    }

    /** The default deadline margin. */
    public FlowPolicy(long batchMaxWaitMs, double promptWeight, double completionWeight, int maxQueuedPerTenant,
            int maxQueuedPerModel, long cloudOverflowWaitMs, double criticalReserve, long criticalReserveWindowMs) {
        this(batchMaxWaitMs, promptWeight, completionWeight, maxQueuedPerTenant, maxQueuedPerModel, cloudOverflowWaitMs,
                criticalReserve, criticalReserveWindowMs, DEFAULT_DEADLINE_MARGIN);
    }

    /** The same policy with another critical reserve (0: none). */
    public FlowPolicy withCriticalReserve(double share) {
        return new FlowPolicy(batchMaxWaitMs, promptWeight, completionWeight, maxQueuedPerTenant, maxQueuedPerModel,
                cloudOverflowWaitMs, share, criticalReserveWindowMs, deadlineMargin);
    }
}
