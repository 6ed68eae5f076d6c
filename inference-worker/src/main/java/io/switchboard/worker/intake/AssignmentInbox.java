package io.switchboard.worker.intake;

import java.time.Duration;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamCommands;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.XReadArgs;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.switchboard.schema.event.JobAssignment;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.worker.capacity.SlotPool;
import io.switchboard.worker.capacity.WorkerIdentity;

/**
 * Reads this worker's inbox stream with XREAD BLOCK on a thread of its own and hands each assignment
 * to the slots. It reads from the worker's start time, so an assignment written between the first
 * heartbeat and the first read is not missed.
 */
@ApplicationScoped
public class AssignmentInbox {
    private static final Logger LOG = Logger.getLogger(AssignmentInbox.class);

    @Inject
    RedisDataSource redis;
    @Inject
    SlotPool slots;
    @Inject
    WorkerIdentity identity;

    private volatile boolean running = true;
    private Thread reader;

    void start(@Observes StartupEvent ignored) {
        String inbox = RedisKeys.workerInbox(identity.id());
        String from = System.currentTimeMillis() + "-0";
        reader = Thread.ofPlatform().name("assignment-inbox").daemon().start(() -> read(inbox, from));
    }

    void stop(@Observes ShutdownEvent ignored) {
        running = false;
        if (reader != null) {
            reader.interrupt();
        }
    }

    private void read(String inbox, String from) {
        StreamCommands<String, String, String> streams = redis.stream(String.class, String.class, String.class);
        XReadArgs args = new XReadArgs().block(Duration.ofSeconds(1)).count(64);
        String last = from;
        while (running) {
            try {
                List<StreamMessage<String, String, String>> messages = streams.xread(inbox, last, args);
                for (StreamMessage<String, String, String> m : messages) {
                    last = m.id();
                    JobAssignment assignment = decode(m);
                    if (assignment != null && identity.id().equals(assignment.workerId())) {
                        slots.submit(assignment);
                    }
                }
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                LOG.warnf("reading inbox %s failed, retrying: %s", inbox, e.getMessage());
                pause();
            }
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
