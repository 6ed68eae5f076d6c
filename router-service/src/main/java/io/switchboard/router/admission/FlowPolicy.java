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
 */
public record FlowPolicy(long batchMaxWaitMs, double promptWeight, double completionWeight, int maxQueuedPerTenant,
        int maxQueuedPerModel, long cloudOverflowWaitMs) {

    /** The defaults of {@code switchboard.router.*}. */
    public static final FlowPolicy DEFAULTS = new FlowPolicy(30_000, 1.0, 2.0, 1000, 10_000, 2_000);

    public FlowPolicy(long batchMaxWaitMs, double promptWeight, double completionWeight, int maxQueuedPerTenant,
            int maxQueuedPerModel) {
        this(batchMaxWaitMs, promptWeight, completionWeight, maxQueuedPerTenant, maxQueuedPerModel, DEFAULTS_OVERFLOW_MS);
    }

    static final long DEFAULTS_OVERFLOW_MS = 2_000;
}
