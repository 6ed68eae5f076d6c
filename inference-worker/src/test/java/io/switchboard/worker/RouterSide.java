package io.switchboard.worker;

import java.time.Duration;
import java.util.Map;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.redis.datasource.stream.XAddArgs;
import io.switchboard.schema.event.JobAssignment;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;

/** What a test that plays the router does: write assignments to a worker's inbox, read what workers report back. */
final class RouterSide {
    private RouterSide() {
    }

    /** Puts {@code assignment} in the inbox of worker {@code inboxOf}. */
    static void assign(RedisDataSource redis, String inboxOf, JobAssignment assignment) {
        redis.stream(String.class).xadd(RedisKeys.workerInbox(inboxOf), new XAddArgs(),
                Map.of(RedisKeys.EVENT_FIELD, Json.write(assignment)));
    }

    /** The first report of {@code kind} about job {@code jobId} in the routers' inbox, waited for up to {@code timeout}. */
    static <T> T report(RedisDataSource redis, String kind, Class<T> type, String jobId, Duration timeout) {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            for (var m : redis.stream(String.class).xrange(RedisKeys.ROUTER_INBOX, StreamRange.of("-", "+"))) {
                if (kind.equals(m.payload().get(RedisKeys.KIND_FIELD))
                        && m.payload().get(RedisKeys.EVENT_FIELD).contains("\"" + jobId + "\"")) {
                    return Json.read(m.payload().get(RedisKeys.EVENT_FIELD), type);
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("no " + kind + " of job " + jobId + " in the routers' inbox within " + timeout);
    }
}
