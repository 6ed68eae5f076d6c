package io.switchboard.router.intake;

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
import io.vertx.mutiny.redis.client.Response;
import io.switchboard.router.dispatch.RouterLoop;
import io.switchboard.schema.event.AssignmentReply;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.WorkerHeartbeat;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.schema.wire.RouterInbox;

/**
 * Reads what the workers report ({@link RedisKeys#ROUTER_INBOX}: heartbeats, answers to assignments, completions) on
 * a thread of its own, from the stream's end at start-up onwards, and hands each to the {@link RouterLoop}. Every
 * router reads all of it, the standbys included, so a standby knows the fleet when it takes over. While the stream
 * cannot be read, the loop is told that workers' silence means nothing ({@link RouterLoop#workersObservable}).
 * Undecodable reports are skipped.
 */
@ApplicationScoped
public class RouterInboxReader {
    private static final Logger LOG = Logger.getLogger(RouterInboxReader.class);

    @Inject
    RedisDataSource redis;
    @Inject
    RouterLoop loop;

    private volatile boolean running = true;
    private Thread reader;

    void start(@Observes StartupEvent ignored) {
        reader = Thread.ofPlatform().name("router-inbox").daemon().start(this::read);
    }

    void stop(@Observes ShutdownEvent ignored) {
        running = false;
        if (reader != null) {
            reader.interrupt();
        }
    }

    private void read() {
        StreamCommands<String, String, String> streams = redis.stream(String.class, String.class, String.class);
        XReadArgs args = new XReadArgs().block(Duration.ofSeconds(1)).count(512);
        String last = null;
        while (running) {
            try {
                if (last == null) {
                    Response tail = redis.execute("XREVRANGE", RedisKeys.ROUTER_INBOX, "+", "-", "COUNT", "1");
                    last = tail == null || tail.size() == 0 ? "0-0" : tail.get(0).get(0).toString();
                }
                List<StreamMessage<String, String, String>> messages = streams.xread(RedisKeys.ROUTER_INBOX, last, args);
                loop.workersObservable(true);
                for (StreamMessage<String, String, String> m : messages) {
                    last = m.id();
                    hand(m);
                }
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                loop.workersObservable(false);
                LOG.warnf("reading the routers' inbox failed, retrying: %s", e.getMessage());
                pause();
            }
        }
    }

    private void hand(StreamMessage<String, String, String> m) {
        String kind = m.payload().get(RedisKeys.KIND_FIELD);
        String event = m.payload().get(RedisKeys.EVENT_FIELD);
        try {
            switch (kind == null ? "" : kind) {
                case RouterInbox.HEARTBEAT -> loop.heartbeat(Json.read(event, WorkerHeartbeat.class));
                case RouterInbox.REPLY -> loop.reply(Json.read(event, AssignmentReply.class));
                case RouterInbox.COMPLETION -> loop.completed(Json.read(event, JobCompletion.class));
                default -> LOG.warnf("skipping report %s of unknown kind '%s'", m.id(), kind);
            }
        } catch (RuntimeException e) {
            LOG.warnf("skipping undecodable report %s: %s", m.id(), e.getMessage());
        }
    }

    private static void pause() {
        try {
            Thread.sleep(250);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
