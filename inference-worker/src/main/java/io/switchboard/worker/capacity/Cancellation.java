package io.switchboard.worker.capacity;

/**
 * Whether, and why, a job on this worker was asked to stop: by a cancel (client gone, request timed out) or by
 * the worker's drain. The first reason given is kept.
 */
final class Cancellation {
    /** The reason of a cancel that named none. */
    static final String UNSPECIFIED = "cancelled";

    private volatile String reason;

    Cancellation(String reason) {
        this.reason = reason;
    }

    synchronized void request(String why) {
        if (reason == null) {
            reason = why == null || why.isBlank() ? UNSPECIFIED : why;
        }
    }

    boolean requested() {
        return reason != null;
    }

    /** Why the job was asked to stop; null while it was not. */
    String reason() {
        return reason;
    }
}
