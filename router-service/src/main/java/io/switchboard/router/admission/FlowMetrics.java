package io.switchboard.router.admission;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.ServiceClass;

/**
 * What flow control (and placement) tells the outside about its decisions, for metrics; called on the dispatcher's
 * thread. The
 * queue and dispatcher stay free of any metrics library: {@link #NONE} in tests, Micrometer in the service.
 */
public interface FlowMetrics {

    /** Records nothing. */
    FlowMetrics NONE = new FlowMetrics() {
    };

    /** A model's band now holds {@code depth} waiting jobs. */
    default void depth(String model, ServiceClass band, int depth) {
    }

    /** A job of class {@code band} left the queue for a worker after waiting {@code waitedMs}. */
    default void dispatched(String model, ServiceClass band, long waitedMs) {
    }

    /** A job of class {@code band} was refused or shed without running, for {@code reason}. */
    default void refused(String model, ServiceClass band, FailureCode reason) {
    }

    /** Tokens charged to a tenant's virtual token counter in {@code band} (raw counts, before weights). */
    default void charged(String tenantId, ServiceClass band, long promptTokens, long completionTokens) {
    }

    /**
     * Placement sent a job of {@code model} whose prompt has {@code promptBlocks} full blocks to a worker the router had
     * recently sent the first {@code matchedBlocks} of them (the router's guess at the worker's prefix-cache hits).
     */
    default void placed(String model, int matchedBlocks, int promptBlocks) {
    }

    /**
     * A job went back in line without having run: its worker had no slot ({@code worker_full}), was lost before the
     * job sent anything ({@code worker_lost}), or the assignment could not be sent ({@code assign_failed}).
     */
    default void requeued(String model, String reason) {
    }

    /** A job with automatic provider routing went to a cloud worker because local capacity was saturated or down. */
    default void overflowedToCloud(String model) {
    }

    /** Workers now held for waiting jobs of several choices (no job of the holder's band or a lower one goes there). */
    default void heldWorkers(int workers) {
    }
}
