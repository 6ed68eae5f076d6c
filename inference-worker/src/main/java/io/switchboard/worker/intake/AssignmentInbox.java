package io.switchboard.worker.intake;

import java.time.Duration;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.XGroupCreateArgs;
import io.quarkus.redis.datasource.stream.XReadGroupArgs;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
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
 * Reads this worker's inbox stream through a consumer group named after the worker, so a worker restarted under the
 * same id first goes over what it had read but not answered, then waits for new assignments (XREADGROUP BLOCK). The
 * read runs on the Redis client's event loop, as a chain of non-blocking steps: the assignments read together are
 * offered to the slots together ({@link SlotPool#offerAll}: their claims in one round trip, each job started on its
 * slot as soon as its claim is won), each verdict is sent to the routers ({@link RouterReports#reply}), the entries
 * are acknowledged and deleted (prompts do not stay in Redis once answered), and the next read is sent. No thread
 * waits in between: an assignment reaches its slot thread after one hand-over, not four.
 */
@ApplicationScoped
public class AssignmentInbox {
    private static final Logger LOG = Logger.getLogger(AssignmentInbox.class);
    private static final Duration BLOCK = Duration.ofSeconds(1);
    /** How long a read or an acknowledgement may take before it counts as failed (the read blocks {@link #BLOCK}). */
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final long RETRY_MS = 500;

    @Inject
    ReactiveRedisDataSource redis;
    @Inject
    Vertx vertx;
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
    private String inbox;
    /** Whether the consumer group is known to exist (made here, or found); rounds follow one another. */
    private volatile boolean grouped;
    /** "0": what this consumer read before a restart and never acknowledged; ">": new entries. */
    private volatile String from = "0";

    void start(@Observes StartupEvent ignored) {
        inbox = RedisKeys.workerInbox(identity.id());
        next();
    }

    void stop(@Observes ShutdownEvent ignored) {
        running = false;
    }

    /** One round: read, answer, acknowledge; then the next round, or after a pause when this one failed. */
    private void next() {
        if (!running) {
            return;
        }
        Uni<Void> group = grouped ? Uni.createFrom().voidItem() : ensureGroup().invoke(() -> grouped = true);
        group.chain(this::read).chain(this::answer).subscribe().with(ok -> next(), failure -> {
            if (!running) {
                return;
            }
            // the inbox expired (no assignment for an hour) or Redis restarted empty: the group is made again
            grouped = false;
            from = "0";
            LOG.warnf("reading inbox %s failed, retrying: %s", inbox, failure.getMessage());
            vertx.setTimer(RETRY_MS, id -> next());
        });
    }

    private Uni<List<StreamMessage<String, String, String>>> read() {
        XReadGroupArgs args = new XReadGroupArgs().count(64);
        if (">".equals(from)) {
            args.block(BLOCK);
        }
        return redis.stream(String.class, String.class, String.class)
                .xreadgroup(RedisKeys.WORKER_INBOX_GROUP, identity.id(), inbox, from, args)
                .ifNoItem().after(TIMEOUT.plus(BLOCK)).fail()
                .invoke(messages -> {
                    if (messages.isEmpty() && "0".equals(from)) {
                        from = ">";
                    }
                });
    }

    private Uni<Void> ensureGroup() {
        return redis.stream(String.class, String.class, String.class)
                .xgroupCreate(inbox, RedisKeys.WORKER_INBOX_GROUP, "0", new XGroupCreateArgs().mkstream())
                // an inbox made here (none yet, or Redis lost it) expires like one the router wrote to, if none comes
                .chain(() -> redis.execute("EXPIRE", inbox, Long.toString(RedisKeys.WORKER_INBOX_TTL.toSeconds()), "NX"))
                .replaceWithVoid()
                .onFailure(e -> e.getMessage() != null && e.getMessage().contains("BUSYGROUP")).recoverWithNull()
                .ifNoItem().after(TIMEOUT).fail();
    }

    /**
     * Offers a batch read together to the slots (their claims in one round trip), answers each, then acknowledges and
     * deletes the entries together (one pipelined round trip).
     */
    private Uni<Void> answer(List<StreamMessage<String, String, String>> messages) {
        if (messages.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<JobAssignment> batch = new java.util.ArrayList<>(messages.size());
        for (StreamMessage<String, String, String> m : messages) {
            JobAssignment assignment = decode(m);
            if (assignment != null && identity.id().equals(assignment.workerId())) {
                batch.add(assignment);
            }
        }
        return slots.offerAll(batch).invoke(offers -> reply(batch, offers)).chain(() -> {
            Request ack = Request.cmd(Command.XACK).arg(inbox).arg(RedisKeys.WORKER_INBOX_GROUP);
            Request del = Request.cmd(Command.XDEL).arg(inbox);
            for (StreamMessage<String, String, String> m : messages) {
                ack.arg(m.id());
                del.arg(m.id());
            }
            return redis.getRedis().batch(List.of(ack, del)).ifNoItem().after(TIMEOUT).fail();
        }).replaceWithVoid();
    }

    private void reply(List<JobAssignment> batch, List<SlotPool.Offer> offers) {
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
}
