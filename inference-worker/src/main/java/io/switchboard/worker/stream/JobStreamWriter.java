package io.switchboard.worker.stream;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.jboss.logging.Logger;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.stream.ReactiveStreamCommands;
import io.quarkus.redis.datasource.stream.XAddArgs;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;

/**
 * Writes one job's token events to its Redis stream without ever blocking generation: one XADD is in
 * flight at a time (so entries keep their order), and text produced meanwhile is coalesced into the
 * next delta. The terminal event goes last; then the stream gets its after-end TTL.
 */
public final class JobStreamWriter {
    private static final Logger LOG = Logger.getLogger(JobStreamWriter.class);

    private final ReactiveRedisDataSource redis;
    private final ReactiveStreamCommands<String, String, String> streams;
    private final String jobId;
    private final String key;
    private final XAddArgs bound;
    private final Duration ttlWhileRunning;
    private final Duration ttlAfterEnd;
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    private final StringBuilder pending = new StringBuilder();
    private TokenEvent terminal;
    private boolean inFlight;
    private boolean first = true;

    public JobStreamWriter(ReactiveRedisDataSource redis, String jobId, long maxLen, Duration ttlWhileRunning,
            Duration ttlAfterEnd) {
        this.redis = redis;
        this.streams = redis.stream(String.class, String.class, String.class);
        this.jobId = jobId;
        this.key = RedisKeys.jobStream(jobId);
        this.bound = new XAddArgs().maxlen(maxLen).nearlyExactTrimming();
        this.ttlWhileRunning = ttlWhileRunning;
        this.ttlAfterEnd = ttlAfterEnd;
    }

    public synchronized void delta(String text) {
        pending.append(text);
        pump();
    }

    /** Writes the terminal event after everything before it; the future completes once it is in Redis. */
    public synchronized CompletableFuture<Void> end(TokenEvent event) {
        terminal = event;
        pump();
        return done;
    }

    private synchronized void pump() {
        if (inFlight || done.isDone()) {
            return;
        }
        TokenEvent next;
        if (!pending.isEmpty()) {
            next = TokenEvent.Delta.of(pending.toString());
            pending.setLength(0);
        } else if (terminal != null) {
            next = terminal;
        } else {
            return;
        }
        inFlight = true;
        boolean isTerminal = next.terminal();
        boolean setTtl = first || isTerminal;
        Duration ttl = isTerminal ? ttlAfterEnd : ttlWhileRunning;
        first = false;
        streams.xadd(key, bound, Map.of(RedisKeys.EVENT_FIELD, Json.write(next)))
                .call(() -> setTtl ? redis.key(String.class).expire(key, ttl) : io.smallrye.mutiny.Uni.createFrom().voidItem())
                .subscribe().with(id -> written(isTerminal, null), t -> written(isTerminal, t));
    }

    private void written(boolean wasTerminal, Throwable failure) {
        synchronized (this) {
            inFlight = false;
            if (failure != null) {
                LOG.warnf("job %s: writing its token stream failed: %s", jobId, failure.getMessage());
                done.completeExceptionally(failure);
                return;
            }
            if (wasTerminal) {
                done.complete(null);
                return;
            }
        }
        pump();
    }
}
