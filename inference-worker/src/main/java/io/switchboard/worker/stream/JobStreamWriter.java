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
 * <p>
 * The first event is written only while this worker still owns the job ({@link RedisKeys#jobOwner}, one script): a
 * worker that was taken for dead (frozen, cut off) and whose job went back in line and runs elsewhere finds its claim
 * gone, writes nothing, and stops ({@link #fenced()}). Once a job has sent something the router never moves it, so
 * later events need no check.
 */
public final class JobStreamWriter {
    private static final Logger LOG = Logger.getLogger(JobStreamWriter.class);

    private final ReactiveRedisDataSource redis;
    private final ReactiveStreamCommands<String, String, String> streams;
    private final String jobId;
    private final String key;
    private final XAddArgs bound;
    private final long maxLen;
    private final Duration ttlWhileRunning;
    private final Duration ttlAfterEnd;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final String ownerKey;
    private final String owner;
    private volatile boolean fenced;
    private volatile boolean broken;

    /** KEYS: owner, stream. ARGV: this worker, event field, event, ttl ms, maxlen. */
    static final String WRITE_IF_OWNER = """
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then
              return 0
            end
            redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', ARGV[2], ARGV[3])
            redis.call('PEXPIRE', KEYS[2], ARGV[4])
            return 1
            """;

    private final StringBuilder pending = new StringBuilder();
    private TokenEvent terminal;
    private boolean inFlight;
    private boolean first = true;

    /** @param owner this worker's id, which must hold the job's owner claim for the first event to be written */
    public JobStreamWriter(ReactiveRedisDataSource redis, String jobId, String owner, long maxLen, Duration ttlWhileRunning,
            Duration ttlAfterEnd) {
        this.redis = redis;
        this.owner = owner;
        this.ownerKey = RedisKeys.jobOwner(jobId);
        this.maxLen = maxLen;
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
        if (first) {
            first = false;
            retried(redis.execute("EVAL", WRITE_IF_OWNER, "2", ownerKey, key, owner, RedisKeys.EVENT_FIELD,
                    Json.write(next), String.valueOf(ttl.toMillis()), String.valueOf(maxLen)))
                    .subscribe().with(r -> {
                        if (r != null && r.toInteger() == 0) {
                            fenceOff();
                        } else {
                            written(isTerminal, null);
                        }
                    }, t -> written(isTerminal, t));
            return;
        }
        retried(streams.xadd(key, bound, Map.of(RedisKeys.EVENT_FIELD, Json.write(next)))
                .call(() -> setTtl ? redis.key(String.class).expire(key, ttl) : io.smallrye.mutiny.Uni.createFrom().voidItem()))
                .subscribe().with(id -> written(isTerminal, null), t -> written(isTerminal, t));
    }

    /** This worker no longer owns the job: nothing more is written, and the generation should stop. */
    private void fenceOff() {
        LOG.warnf("job %s: this worker no longer owns it (it was taken back); its stream is left alone", jobId);
        synchronized (this) {
            fenced = true;
            inFlight = false;
            pending.setLength(0);
            done.complete(null);
        }
    }

    /** A write failed a few times in a row (Redis unreachable): the client can no longer be reached; stop generating. */
    public boolean broken() {
        return broken;
    }

    /** Retries a write with a short backoff (a Redis blip); a stream does not freeze on one failed write. */
    private static <T> io.smallrye.mutiny.Uni<T> retried(io.smallrye.mutiny.Uni<T> write) {
        return write.onFailure().retry().withBackOff(Duration.ofMillis(50), Duration.ofSeconds(1)).atMost(5);
    }

    /** Whether the job turned out to be owned by someone else: its generation should stop, nothing is written. */
    public boolean fenced() {
        return fenced;
    }

    private void written(boolean wasTerminal, Throwable failure) {
        synchronized (this) {
            inFlight = false;
            if (failure != null) {
                LOG.warnf("job %s: writing its token stream failed, retries spent: %s", jobId, failure.getMessage());
                broken = true;
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
