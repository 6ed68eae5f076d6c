package io.switchboard.testing;

import java.time.Duration;
import java.util.List;

import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.wire.Topics;

/** Reads {@link Topics#USAGE} in tests: the first usage record of a job, and every record of a job within a window. */
public final class UsageTopic {
    private UsageTopic() {
    }

    public static UsageRecord awaitFirst(String jobId, Duration timeout) {
        return KafkaTestClient.await(Topics.USAGE, UsageRecord.class, u -> u.jobId().equals(jobId), timeout);
    }

    /** Every usage record of {@code jobId} on the topic, reading it from the start for {@code window}. */
    public static List<UsageRecord> recordsOf(String jobId, Duration window) {
        return KafkaTestClient.all(Topics.USAGE, UsageRecord.class, u -> u.jobId().equals(jobId), window);
    }
}
