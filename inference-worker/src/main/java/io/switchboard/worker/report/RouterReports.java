package io.switchboard.worker.report;

import java.time.Duration;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.stream.ReactiveStreamCommands;
import io.quarkus.redis.datasource.stream.XAddArgs;
import io.smallrye.mutiny.Uni;
import io.switchboard.schema.event.AssignmentReply;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.WorkerHeartbeat;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.schema.wire.RouterInbox;

/**
 * What this worker tells the routers, appended to their one inbox stream ({@link RedisKeys#ROUTER_INBOX}): heartbeats,
 * answers to assignments, and completions, in the order they are sent. On Redis rather than Kafka, so a Kafka outage
 * never makes this worker look dead. Answers and completions are retried (a lost one holds a slot until the router
 * reconciles it); a heartbeat is not (the next one follows). Counted in {@code switchboard_worker_reports_total}.
 */
@ApplicationScoped
public class RouterReports {
    private static final Logger LOG = Logger.getLogger(RouterReports.class);
    private static final XAddArgs BOUND = new XAddArgs().maxlen(RouterInbox.MAX_LEN).nearlyExactTrimming();

    private final ReactiveStreamCommands<String, String, String> streams;
    private final MeterRegistry meters;

    @Inject
    public RouterReports(ReactiveRedisDataSource redis, MeterRegistry meters) {
        this.streams = redis.stream(String.class, String.class, String.class);
        this.meters = meters;
    }

    public void heartbeat(WorkerHeartbeat hb) {
        send(RouterInbox.HEARTBEAT, hb, 0);
    }

    public void reply(AssignmentReply reply) {
        send(RouterInbox.REPLY, reply, 5);
    }

    public void completion(JobCompletion completion) {
        send(RouterInbox.COMPLETION, completion, 5);
    }

    private void send(String kind, Object event, int retries) {
        Uni<String> add = streams.xadd(RedisKeys.ROUTER_INBOX, BOUND,
                Map.of(RedisKeys.KIND_FIELD, kind, RedisKeys.EVENT_FIELD, Json.write(event)));
        if (retries > 0) {
            add = add.onFailure().retry().withBackOff(Duration.ofMillis(50), Duration.ofSeconds(1)).atMost(retries);
        }
        add.subscribe().with(id -> count(kind, "sent"), t -> {
            count(kind, "failed");
            LOG.warnf("%s not reported to the routers: %s", kind, t.getMessage());
        });
    }

    private void count(String kind, String result) {
        meters.counter("switchboard_worker_reports_total", "kind", kind, "result", result).increment();
    }
}
