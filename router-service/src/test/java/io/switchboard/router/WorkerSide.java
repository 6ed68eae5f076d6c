package io.switchboard.router;

import java.util.List;
import java.util.Map;

import io.quarkus.redis.datasource.RedisDataSource;
import io.switchboard.schema.event.WorkerHeartbeat;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.schema.wire.RouterInbox;

/** The tests' stand-in for a worker: what it reports to the routers, through their Redis inbox. */
final class WorkerSide {
    private WorkerSide() {
    }

    /**
     * A heartbeat of {@code worker} serving {@code model} with {@code slots} slots, {@code running} taking some (the
     * router's worker timeout in tests is 1 s: tests keep sending it).
     */
    static void heartbeat(RedisDataSource redis, String worker, String model, int slots, String... running) {
        report(redis, RouterInbox.HEARTBEAT, new WorkerHeartbeat(WorkerHeartbeat.VERSION, worker, List.of(model),
                "simulated", slots, slots - running.length, 0, List.of(running), System.currentTimeMillis(), 300));
    }

    /** One report ({@code kind}: heartbeat, reply, completion) in the routers' inbox. */
    static void report(RedisDataSource redis, String kind, Object event) {
        redis.stream(String.class).xadd(RedisKeys.ROUTER_INBOX,
                Map.of(RedisKeys.KIND_FIELD, kind, RedisKeys.EVENT_FIELD, Json.write(event)));
    }
}
