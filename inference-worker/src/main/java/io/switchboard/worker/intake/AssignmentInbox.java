package io.switchboard.worker.intake;

import java.time.Duration;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamCommands;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.XGroupCreateArgs;
import io.quarkus.redis.datasource.stream.XReadGroupArgs;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;
import io.switchboard.schema.event.AssignmentReply;
import io.switchboard.schema.event.JobAssignment;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.worker.capacity.SlotPool;
import io.switchboard.worker.capacity.WorkerIdentity;
import io.switchboard.worker.report.RouterReports;

/**
 * Reads this worker's inbox stream on a thread of its own, through a consumer group named after the worker, so a
 * worker restarted under the same id first goes over what it had read but not answered, then waits for new
 * assignments (XREADGROUP BLOCK). The assignments read together are offered to the slots together
 * ({@link SlotPool#offerAll}: their claims in one round trip), each verdict is sent to the routers
 * ({@link RouterReports#reply}), and the entries are acknowledged and deleted: prompts do not stay in Redis once
 * answered.
 */
@ApplicationScoped
public class AssignmentInbox {
    private static final Logger LOG = Logger.getLogger(AssignmentInbox.class);

    @Inject
    RedisDataSource redis;
    @Inject
    ReactiveRedisDataSource reactive;
    @Inject
    SlotPool slots;
    @Inject
    WorkerIdentity identity;
    @Inject
    RouterReports reports;
    /** From the router's assignment (its time) to this worker's answer: the assignment's hop through Redis. */
    private io.micrometer.core.instrument.Timer assignmentDelay;

    @Inject
    void metrics(io.micrometer.core.instrument.MeterRegistry registry) {
        assignmentDelay = io.micrometer.core.instrument.Timer.builder("switchboard_worker_assignment_delay")
                .description("From the router's assignment of a job to this worker's answer to it (accepted, full, claimed)")
                .publishPercentiles(0.5, 0.9, 0.99).register(registry);
    }

    private volatile boolean running = true;
    private Thread reader;

    void start(@Observes StartupEvent ignored) {
        String inbox = RedisKeys.workerInbox(identity.id());
        reader = Thread.ofPlatform().name("assignment-inbox").daemon().start(() -> read(inbox));
    }

    void stop(@Observes ShutdownEvent ignored) {
        running = false;
        if (reader != null) {
            reader.interrupt();
        }
    }

    private void read(String inbox) {
        StreamCommands<String, String, String> streams = redis.stream(String.class, String.class, String.class);
        String consumer = identity.id();
        boolean grouped = false;
        // "0": what this consumer read before a restart and never acknowledged; ">": new entries
        String from = "0";
        while (running) {
            try {
                if (!grouped) {
                    ensureGroup(streams, inbox);
                    grouped = true;
                }
                XReadGroupArgs args = new XReadGroupArgs().count(64);
                if (">".equals(from)) {
                    args.block(Duration.ofSeconds(1));
                }
                List<StreamMessage<String, String, String>> messages = streams.xreadgroup(RedisKeys.WORKER_INBOX_GROUP,
                        consumer, inbox, from, args);
                if (messages.isEmpty() && "0".equals(from)) {
                    from = ">";
                }
                if (messages.isEmpty()) {
                    continue;
                }
                answer(messages);
                // answered: acknowledged and deleted together, one pipelined round trip per batch read
                Request ack = Request.cmd(Command.XACK).arg(inbox).arg(RedisKeys.WORKER_INBOX_GROUP);
                Request del = Request.cmd(Command.XDEL).arg(inbox);
                for (StreamMessage<String, String, String> m : messages) {
                    ack.arg(m.id());
                    del.arg(m.id());
                }
                reactive.getRedis().batch(List.of(ack, del)).await().atMost(Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                // the inbox expired (no assignment for an hour) or Redis restarted empty: the group is made again
                grouped = false;
                from = "0";
                LOG.warnf("reading inbox %s failed, retrying: %s", inbox, e.getMessage());
                pause();
            }
        }
    }

    private void ensureGroup(StreamCommands<String, String, String> streams, String inbox) {
        try {
            streams.xgroupCreate(inbox, RedisKeys.WORKER_INBOX_GROUP, "0", new XGroupCreateArgs().mkstream());
            // an inbox made here (none yet, or Redis lost it) expires like one the router wrote to, if none comes
            redis.execute("EXPIRE", inbox, Long.toString(RedisKeys.WORKER_INBOX_TTL.toSeconds()), "NX");
        } catch (RuntimeException e) {
            if (e.getMessage() == null || !e.getMessage().contains("BUSYGROUP")) {
                throw e;
            }
        }
    }

    /** Offers a batch read together to the slots (their claims in one round trip), then answers each. */
    private void answer(List<StreamMessage<String, String, String>> messages) {
        List<JobAssignment> batch = new java.util.ArrayList<>(messages.size());
        for (StreamMessage<String, String, String> m : messages) {
            JobAssignment assignment = decode(m);
            if (assignment != null && identity.id().equals(assignment.workerId())) {
                batch.add(assignment);
            }
        }
        List<SlotPool.Offer> offers = slots.offerAll(batch);
        long now = System.currentTimeMillis();
        for (int i = 0; i < batch.size(); i++) {
            JobAssignment assignment = batch.get(i);
            SlotPool.Offer offer = offers.get(i);
            if (assignmentDelay != null) {
                assignmentDelay.record(Math.max(0, now - assignment.assignedAtMs()),
                        java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            reports.reply(AssignmentReply.of(assignment.jobId(), identity.id(), offer.verdict(), offer.owner(), now));
        }
    }

    private static JobAssignment decode(StreamMessage<String, String, String> m) {
        try {
            return Json.read(m.payload().get(RedisKeys.EVENT_FIELD), JobAssignment.class);
        } catch (RuntimeException e) {
            LOG.warnf("skipping undecodable assignment %s: %s", m.id(), e.getMessage());
            return null;
        }
    }

    private static void pause() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
