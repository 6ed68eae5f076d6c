package io.switchboard.worker.capacity;

import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.wire.JobOwners;
import io.switchboard.schema.wire.RedisKeys;

/**
 * Takes a job's owner claim ({@link RedisKeys#jobOwner}) for this worker with {@code SET NX}: only the first party to
 * claim a job decides its fate, so a job assigned twice (a redelivery after a router failover, an assignment sent
 * to a worker thought dead) runs once, and a job the gateway already gave up on never starts. Claims are taken on
 * the event loop the inbox is read on, without blocking; a hand-back blocks, on the job's own thread.
 */
@ApplicationScoped
public class JobClaims {
    /** How long a command or a batch of claims may take (as long as one blocking command may: quarkus.redis.timeout's default). */
    private static final java.time.Duration TIMEOUT = java.time.Duration.ofSeconds(10);

    private final RedisDataSource redis;
    private final io.vertx.mutiny.redis.client.Redis client;
    private final WorkerIdentity identity;

    @Inject
    public JobClaims(RedisDataSource redis, ReactiveRedisDataSource reactive, WorkerIdentity identity) {
        this.redis = redis;
        this.client = reactive.getRedis();
        this.identity = identity;
    }

    /**
     * KEYS: owner, stream. ARGV: this worker, ttl ms. The claim is this worker's when nobody held it, or when this
     * worker already holds it and the job's stream is still empty (its earlier claim's answer was lost, or it restarted
     * before the job sent anything): answers '' then, otherwise the owner.
     */
    static final String CLAIM = """
            if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
              return ''
            end
            local owner = redis.call('GET', KEYS[1])
            if owner == ARGV[1] and redis.call('EXISTS', KEYS[2]) == 0 then
              return ''
            end
            return owner or '~unknown'
            """;

    /**
     * Claims {@code job} for this worker (not running here): null when this worker now owns it, otherwise who does.
     */
    public Uni<String> claim(InferenceJob job, long nowMs) {
        return claimAll(List.of(job), nowMs).map(owners -> owners.get(0));
    }

    /**
     * Claims every job of a batch in one round trip (the scripts pipelined): for each, in order, null when this worker
     * now owns it, otherwise who does. Fails when Redis cannot be reached or refuses any of them. Completes on the
     * Redis connection's event loop: nothing waits for it on a thread of its own.
     */
    public Uni<List<String>> claimAll(List<InferenceJob> jobs, long nowMs) {
        if (jobs.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        List<Request> batch = new ArrayList<>(jobs.size());
        for (InferenceJob job : jobs) {
            batch.add(Request.cmd(Command.EVAL).arg(CLAIM).arg(2).arg(RedisKeys.jobOwner(job.jobId()))
                    .arg(RedisKeys.jobStream(job.jobId())).arg(identity.id())
                    .arg(JobOwners.ttlMs(job.deadlineAtMs(), nowMs)));
        }
        return client.batch(batch).ifNoItem().after(TIMEOUT).fail().map(replies -> {
            List<String> owners = new ArrayList<>(replies.size());
            for (Response owner : replies) {
                String who = owner == null ? "" : owner.toString();
                owners.add(who.isEmpty() ? null : who);
            }
            return owners;
        });
    }

    /** KEYS: owner, stream. ARGV: this worker. Releases the claim while it is this worker's and the stream is empty. */
    static final String HAND_BACK = """
            if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('EXISTS', KEYS[2]) == 0 then
              redis.call('DEL', KEYS[1])
              return 1
            end
            return 0
            """;

    /**
     * Gives the job back unanswered: releases this worker's claim, only while the job's stream is still empty (nothing
     * of it reached the client), so the router can run it elsewhere. Whether it was released. When the script's answer
     * is lost, whether the claim is gone with the stream still empty (it ran); false when Redis cannot tell.
     */
    public boolean handBack(String jobId) {
        try {
            return release(jobId).await().atMost(TIMEOUT);
        } catch (RuntimeException e) {
            try {
                return redis.execute("GET", RedisKeys.jobOwner(jobId)) == null
                        && redis.execute("EXISTS", RedisKeys.jobStream(jobId)).toInteger() == 0;
            } catch (RuntimeException again) {
                return false;
            }
        }
    }

    /** {@link #handBack} without blocking: whether the claim was released (this worker's, the stream still empty). */
    public Uni<Boolean> release(String jobId) {
        return send(Request.cmd(Command.EVAL).arg(HAND_BACK).arg(2).arg(RedisKeys.jobOwner(jobId))
                .arg(RedisKeys.jobStream(jobId)).arg(identity.id()))
                .map(released -> released != null && released.toInteger() == 1);
    }

    /** Whether this worker still holds the job's claim (a job that runs here may have been taken back). */
    public Uni<Boolean> holds(String jobId) {
        return send(Request.cmd(Command.GET).arg(RedisKeys.jobOwner(jobId)))
                .map(owner -> owner != null && identity.id().equals(owner.toString()));
    }

    private Uni<Response> send(Request request) {
        return client.send(request).ifNoItem().after(TIMEOUT).fail();
    }
}
