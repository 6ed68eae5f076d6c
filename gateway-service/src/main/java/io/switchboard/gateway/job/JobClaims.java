package io.switchboard.gateway.job;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.value.SetArgs;
import io.smallrye.mutiny.Uni;
import io.switchboard.gateway.metrics.ReliabilityMetrics;
import io.switchboard.schema.wire.JobOwners;
import io.switchboard.schema.wire.RedisKeys;

/**
 * The gateway's side of a job's owner claim ({@link RedisKeys#jobOwner}): when it answers a client without the job
 * (the publish failed, or the client left before the job produced anything) it claims the job
 * {@code ~abandoned:<reason>}, {@code SET NX}, so no worker starts it later. Losing the race means someone owned the job
 * first: a worker runs it, or the router ended it.
 */
@ApplicationScoped
public class JobClaims {
    private static final Logger LOG = Logger.getLogger(JobClaims.class);

    private final ReactiveRedisDataSource redis;
    private final ReliabilityMetrics metrics;

    @Inject
    public JobClaims(ReactiveRedisDataSource redis, ReliabilityMetrics metrics) {
        this.redis = redis;
        this.metrics = metrics;
    }

    /** Outcome of a claim: {@code owner} is null when the gateway's claim took, else whoever owned the job before. */
    public record Claim(String owner) {
        public boolean claimed() {
            return owner == null;
        }
    }

    /** {@code SET owner ~abandoned:reason NX PX ttl GET}: one round trip that claims, or says who owns the job. */
    public Uni<Claim> abandon(String jobId, String reason, long deadlineMs) {
        long ttl = JobOwners.ttlMs(deadlineMs, System.currentTimeMillis());
        return redis.value(String.class).setGet(RedisKeys.jobOwner(jobId), JobOwners.abandoned(reason),
                new SetArgs().nx().px(ttl))
                .map(Claim::new)
                .invoke(claim -> {
                    metrics.abandonedClaim(reason, claim.claimed() ? "claimed" : "owned");
                    LOG.debugf("job %s: abandoned claim (%s): %s", jobId, reason,
                            claim.claimed() ? "claimed" : "already owned by " + claim.owner());
                })
                .onFailure().invoke(t -> {
                    metrics.abandonedClaim(reason, "error");
                    LOG.warnf("job %s: abandoned claim (%s) failed: %s", jobId, reason, t.getMessage());
                });
    }
}
