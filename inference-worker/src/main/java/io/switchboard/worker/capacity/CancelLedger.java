package io.switchboard.worker.capacity;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers recent cancels, so an assignment that arrives after its own cancel (the two travel on
 * different topics) is not run.
 */
final class CancelLedger {
    private static final int CAPACITY = 10_000;

    private final Map<String, Boolean> recent = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > CAPACITY;
        }
    };

    synchronized void record(String jobId) {
        recent.put(jobId, Boolean.TRUE);
    }

    synchronized boolean wasCancelled(String jobId) {
        return recent.containsKey(jobId);
    }
}
