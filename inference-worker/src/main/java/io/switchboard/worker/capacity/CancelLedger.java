package io.switchboard.worker.capacity;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers recent cancels and their reasons, so an assignment that arrives after its own cancel (the two travel
 * on different topics) is not run.
 */
final class CancelLedger {
    private static final int CAPACITY = 10_000;

    private final Map<String, String> recent = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > CAPACITY;
        }
    };

    synchronized void record(String jobId, String reason) {
        recent.putIfAbsent(jobId, reason);
    }

    /** The reason the job was cancelled with; null if no cancel of it is remembered. */
    synchronized String reasonOf(String jobId) {
        return recent.get(jobId);
    }
}
