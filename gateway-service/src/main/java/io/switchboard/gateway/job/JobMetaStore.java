package io.switchboard.gateway.job;

import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.redis.LuaScript;
import io.switchboard.gateway.stream.ReaderLeases;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.wire.RedisKeys;

/**
 * A job's meta hash ({@link RedisKeys#jobMeta}): what resuming its stream needs, written at publish (with the job's
 * reader key, in one script call, alongside the Kafka publish) and kept until the job's deadline plus the resume
 * retention. Fields: {@code tenant}, {@code model}, {@code created} (epoch seconds), and two the contract may add:
 * {@code deadline} (epoch ms: how long a resumed read may wait) and {@code usage} ({@code 1} when the request asked
 * for the usage chunk, so a resumed stream sends the same chunks).
 */
@ApplicationScoped
public class JobMetaStore {
    /** HSET the meta, PEXPIRE it, and SET the reader key with its grace: one round trip, keys of one hash tag. */
    private static final LuaScript WRITE = new LuaScript("""
            redis.call('HSET', KEYS[1], 'tenant', ARGV[1], 'model', ARGV[2], 'created', ARGV[3], 'deadline', ARGV[4], 'usage', ARGV[5],
              'n', ARGV[9], 'logprobs', ARGV[10])
            redis.call('PEXPIRE', KEYS[1], ARGV[6])
            redis.call('SET', KEYS[2], ARGV[7], 'PX', ARGV[8])
            return 1
            """);

    /** What a resume needs to know about a job. */
    public record JobMeta(String tenant, String model, long createdSec, long deadlineMs, boolean includeUsage, int n,
            boolean logprobs) {
    }

    private final ReactiveRedisDataSource redis;
    private final ReaderLeases leases;
    private final long retentionMs;

    @Inject
    public JobMetaStore(ReactiveRedisDataSource redis, ReaderLeases leases, GatewayConfig config) {
        this.redis = redis;
        this.leases = leases;
        this.retentionMs = config.resume().retention().toMillis();
    }

    /** Writes the job's meta and marks it as read (the relay that starts next keeps the reader key fresh). */
    public Uni<Void> write(InferenceJob job, boolean includeUsage, long nowMs) {
        long ttl = Math.max(0, job.deadlineAtMs() - nowMs) + retentionMs;
        List<String> reader = leases.setArgs();
        return WRITE.run(redis, List.of(RedisKeys.jobMeta(job.jobId()), RedisKeys.jobReader(job.jobId())),
                List.of(job.tenantId(), job.model(), Long.toString(job.createdAtMs() / 1000), Long.toString(job.deadlineAtMs()),
                        includeUsage ? "1" : "0", Long.toString(ttl), reader.get(0), reader.get(1),
                        Integer.toString(job.options().n()), job.options().logprobs() ? "1" : "0"))
                .replaceWithVoid();
    }

    /** The job's meta, or null when there is none (unknown id, or expired). */
    public Uni<JobMeta> read(String jobId) {
        return redis.hash(String.class, String.class, String.class).hgetall(RedisKeys.jobMeta(jobId))
                .map(JobMetaStore::parse);
    }

    private static JobMeta parse(Map<String, String> h) {
        if (h == null || h.get("tenant") == null || h.get("model") == null || h.get("created") == null) {
            return null;
        }
        String deadline = h.get("deadline");
        return new JobMeta(h.get("tenant"), h.get("model"), Long.parseLong(h.get("created")),
                deadline == null ? Long.MAX_VALUE : Long.parseLong(deadline), "1".equals(h.get("usage")),
                h.get("n") == null ? 1 : Integer.parseInt(h.get("n")), "1".equals(h.get("logprobs")));
    }
}
