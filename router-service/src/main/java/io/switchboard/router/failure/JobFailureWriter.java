package io.switchboard.router.failure;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.switchboard.router.RouterConfig;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.wire.JobOwners;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;

/**
 * Ends a job the router gives up on by writing a {@link TokenEvent.Failure} to its stream, which the gateway relays,
 * under the job's owner claim ({@link RedisKeys#jobOwner}): the failure is written only if the router wins the claim,
 * in one script, so a job a worker took, or one the gateway already answered, never gets a
 * second end. Retried with backoff while Redis does not answer: a failure that cannot be written where the client
 * reads it is not dropped.
 */
@ApplicationScoped
public class JobFailureWriter {
    private static final Logger LOG = Logger.getLogger(JobFailureWriter.class);

    /** KEYS: owner, stream. ARGV: router's claim, claim ttl ms, event field, event, stream ttl ms. */
    static final String FAIL_UNCLAIMED = """
            if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
              return 0
            end
            redis.call('XADD', KEYS[2], 'MAXLEN', '~', '1000', '*', ARGV[3], ARGV[4])
            redis.call('PEXPIRE', KEYS[2], ARGV[5])
            return 1
            """;

    /**
     * Ends a job taken back from its worker. KEYS: owner, stream. ARGV: the worker, may requeue (1/0), router's claim,
     * claim ttl ms, event field, event, stream ttl ms. Answers {@code requeue} (nothing was sent and it may run
     * elsewhere: the dead worker's claim is released), {@code ended} (its stream already ended), {@code other}
     * (someone else owns it) or {@code failed} (worker_lost written).
     */
    static final String END_ORPHAN = """
            local owner = redis.call('GET', KEYS[1])
            if owner and owner ~= ARGV[1] then
              return 'other'
            end
            local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
            if #last == 0 then
              if ARGV[2] == '1' then
                if owner then
                  redis.call('DEL', KEYS[1])
                end
                return 'requeue'
              end
            else
              local event = cjson.decode(last[1][2][2])
              if event['type'] ~= 'delta' then
                return 'ended'
              end
            end
            redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
            redis.call('XADD', KEYS[2], 'MAXLEN', '~', '1000', '*', ARGV[5], ARGV[6])
            redis.call('PEXPIRE', KEYS[2], ARGV[7])
            return 'failed'
            """;

    @Inject
    ReactiveRedisDataSource redis;
    @Inject
    RouterConfig config;

    /**
     * Fails a job no worker took. {@code retryAfterMs}, when not null, tells the client when trying again may succeed.
     * The Uni answers whether the failure was written (false: another party owns the job's end).
     */
    public Uni<Boolean> fail(InferenceJob job, FailureCode code, String message, Long retryAfterMs) {
        String event = Json.write(TokenEvent.Failure.of(code, message, retryAfterMs));
        return retried(job.jobId(), redis.execute("EVAL", FAIL_UNCLAIMED, "2", RedisKeys.jobOwner(job.jobId()),
                RedisKeys.jobStream(job.jobId()), JobOwners.ROUTER,
                String.valueOf(JobOwners.ttlMs(job.deadlineAtMs(), System.currentTimeMillis())), RedisKeys.EVENT_FIELD,
                event, String.valueOf(config.failedStreamTtl().toMillis())))
                .map(r -> r != null && r.toInteger() == 1);
    }

    /** Ends a job taken back from {@code workerId} (see {@link #END_ORPHAN}); answers the script's outcome. */
    public Uni<String> endOrphan(String jobId, String workerId, boolean mayRequeue, long deadlineAtMs) {
        String event = Json.write(TokenEvent.Failure.of(FailureCode.WORKER_LOST,
                "The worker running this request stopped responding."));
        return retried(jobId, redis.execute("EVAL", END_ORPHAN, "2", RedisKeys.jobOwner(jobId), RedisKeys.jobStream(jobId),
                workerId, mayRequeue ? "1" : "0", JobOwners.ROUTER,
                String.valueOf(JobOwners.ttlMs(deadlineAtMs, System.currentTimeMillis())), RedisKeys.EVENT_FIELD, event,
                String.valueOf(config.failedStreamTtl().toMillis())))
                .map(r -> r == null ? "other" : r.toString());
    }

    private static <T> Uni<T> retried(String jobId, Uni<T> call) {
        return call.onFailure().invoke(t -> LOG.warnf("ending job %s: Redis did not answer (%s); retrying", jobId,
                t.getMessage()))
                .onFailure().retry().withBackOff(Duration.ofMillis(100), Duration.ofSeconds(2)).atMost(30);
    }
}
