package io.switchboard.worker.capacity;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.redis.datasource.RedisDataSource;
import io.vertx.mutiny.redis.client.Response;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.wire.JobOwners;
import io.switchboard.schema.wire.RedisKeys;

/**
 * Takes a job's owner claim ({@link RedisKeys#jobOwner}) for this worker with {@code SET NX}: only the first party to
 * claim a job decides its fate, so a job assigned twice (a redelivery after a router failover, an assignment sent
 * to a worker thought dead) runs once, and a job the gateway already gave up on never starts. Called from the inbox
 * thread, blocking.
 */
@ApplicationScoped
public class JobClaims {
    private final RedisDataSource redis;
    private final WorkerIdentity identity;

    @Inject
    public JobClaims(RedisDataSource redis, WorkerIdentity identity) {
        this.redis = redis;
        this.identity = identity;
    }

    /** Claims {@code job} for this worker: null when this worker now owns it, otherwise who does. */
    public String claim(InferenceJob job, long nowMs) {
        String key = RedisKeys.jobOwner(job.jobId());
        long ttl = JobOwners.ttlMs(job.deadlineAtMs(), nowMs);
        while (true) {
            Response set = redis.execute("SET", key, identity.id(), "NX", "PX", String.valueOf(ttl));
            if (set != null) {
                return null;
            }
            Response owner = redis.execute("GET", key);
            if (owner != null) {
                return owner.toString();
            }
            // the claim expired between the two calls: try again
        }
    }
}
