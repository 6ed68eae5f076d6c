package io.switchboard.router.intake;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
 * Hands an assignment to its worker by appending it to the worker's inbox stream; the returned Uni completes once
 * Redis has it. The inbox is bounded, and expires an hour after its last assignment: its expiry is pushed back with
 * the first assignment of every minute, not with each one (one command per assignment, not two).
 */
@ApplicationScoped
public class AssignmentPublisher {
    private static final XAddArgs BOUND = new XAddArgs().maxlen(1000L).nearlyExactTrimming();
    static final Duration INBOX_TTL = RedisKeys.WORKER_INBOX_TTL;
    /** How often an inbox's expiry is pushed back (far less than its TTL, so it never lapses while in use). */
    static final long REFRESH_EVERY_MS = 60_000;

    @Inject
    ReactiveRedisDataSource redis;

    /** Per inbox, when its expiry was last pushed back (System.nanoTime). */
    private final Map<String, Long> refreshed = new ConcurrentHashMap<>();

    public Uni<Void> publish(InferenceJob job, String workerId) {
        String inbox = RedisKeys.workerInbox(workerId);
        String event = Json.write(JobAssignment.of(job, workerId, System.currentTimeMillis()));
        Uni<String> add = redis.stream(String.class, String.class, String.class)
                .xadd(inbox, BOUND, Map.of(RedisKeys.EVENT_FIELD, event));
        if (!refreshDue(inbox, System.nanoTime())) {
            return add.replaceWithVoid();
        }
        return add.call(() -> redis.key(String.class).expire(inbox, INBOX_TTL))
                .onFailure().invoke(() -> refreshed.remove(inbox)) // the next assignment tries again
                .replaceWithVoid();
    }

    /**
     * Whether this assignment pushes its inbox's expiry back: the first one, then one a minute. Inboxes not assigned to
     * for longer than their TTL (workers gone) are forgotten then.
     */
    boolean refreshDue(String inbox, long nowNanos) {
        boolean[] due = { false };
        refreshed.compute(inbox, (k, last) -> {
            if (last == null || nowNanos - last >= REFRESH_EVERY_MS * 1_000_000L) {
                due[0] = true;
                return nowNanos;
            }
            return last;
        });
        if (due[0]) {
            refreshed.values().removeIf(last -> nowNanos - last > INBOX_TTL.toNanos());
        }
        return due[0];
    }

    /** How many inboxes this router remembers pushing back. */
    int remembered() {
        return refreshed.size();
    }
}
