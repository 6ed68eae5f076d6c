package io.switchboard.gateway.api;

import java.time.Duration;
import java.util.List;

import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.KafkaTestClient;

/** The jobs a tenant got published, read from the jobs topic as the router would. */
final class PublishedJobs {
    private PublishedJobs() {
    }

    /** Every job of {@code tenantId} on the topic, reading it for {@code window}. */
    static List<InferenceJob> of(String tenantId, Duration window) {
        return KafkaTestClient.all(Topics.JOBS, InferenceJob.class, j -> tenantId.equals(j.tenantId()), window);
    }
}
