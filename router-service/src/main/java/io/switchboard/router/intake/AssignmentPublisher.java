package io.switchboard.router.intake;

import java.time.Duration;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.stream.XAddArgs;
import io.smallrye.mutiny.Uni;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobAssignment;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;

/**
 * Hands an assignment to its worker by appending it to the worker's inbox stream; the returned Uni
 * completes once Redis has it. The inbox is bounded, and expires an hour after its last assignment.
 */
@ApplicationScoped
public class AssignmentPublisher {
    private static final XAddArgs BOUND = new XAddArgs().maxlen(1000L).nearlyExactTrimming();
    private static final Duration INBOX_TTL = Duration.ofHours(1);

    @Inject
    ReactiveRedisDataSource redis;

    public Uni<Void> publish(InferenceJob job, String workerId) {
        String inbox = RedisKeys.workerInbox(workerId);
        String event = Json.write(JobAssignment.of(job, workerId, System.currentTimeMillis()));
        return redis.stream(String.class, String.class, String.class)
                .xadd(inbox, BOUND, Map.of(RedisKeys.EVENT_FIELD, event))
                .call(() -> redis.key(String.class).expire(inbox, INBOX_TTL))
                .replaceWithVoid();
    }
}
