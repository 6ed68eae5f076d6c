package io.switchboard.common.usage;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.value.SetArgs;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.wire.RedisKeys;

/**
 * Publishes the {@link UsageRecord} of a job on {@code switchboard.usage.v1} (channel {@code usage}), keyed by tenant,
 * once per job. The worker that ran a job and the router that ended one (failed it, dropped it from its queue, gave
 * its worker up as lost) may both try: each first claims the job's usage in Redis ({@code SET usage-claim NX EX 1
 * day}) and publishes only if the claim is its own. When Redis cannot answer the claim the record is published
 * anyway: a record delivered twice is deduplicated by its consumers, a lost one is lost for billing. On shutdown it
 * waits for the records still under way (after a worker's slots have drained, {@code @Priority(1)}).
 * Counted in {@code switchboard_usage_records_total{result=published|claimed_elsewhere|failed}}.
 */
@ApplicationScoped
public class UsageReporter {
    private static final Logger LOG = Logger.getLogger(UsageReporter.class);
    static final Duration CLAIM_TTL = Duration.ofDays(1);
    private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(5);

    private final ReactiveRedisDataSource redis;
    private final MutinyEmitter<UsageRecord> usage;
    private final Set<CompletableFuture<Boolean>> underWay = ConcurrentHashMap.newKeySet();

    private final Counter published;
    private final Counter claimedElsewhere;
    private final Counter failed;

    @Inject
    public UsageReporter(ReactiveRedisDataSource redis, @Channel("usage") MutinyEmitter<UsageRecord> usage,
            MeterRegistry metrics) {
        this.redis = redis;
        this.usage = usage;
        this.published = counter(metrics, "published");
        this.claimedElsewhere = counter(metrics, "claimed_elsewhere");
        this.failed = counter(metrics, "failed");
    }

    private static Counter counter(MeterRegistry metrics, String result) {
        return Counter.builder("switchboard.usage.records")
                .description("Usage records this process tried to write: published, claimed by another writer, or failed")
                .tag("result", result).register(metrics);
    }

    /**
     * Claims and publishes {@code record}, starting now; the future answers whether this call published it (it
     * never fails: a failure is logged with the job and tenant).
     */
    public CompletableFuture<Boolean> report(UsageRecord record) {
        CompletableFuture<Boolean> done = claim(record)
                .chain(claimed -> claimed ? publish(record).replaceWith(true) : Uni.createFrom().item(false))
                .invoke(sent -> (sent ? published : claimedElsewhere).increment())
                .onFailure().recoverWithItem(t -> {
                    failed.increment();
                    LOG.warnf("usage of job %s of tenant %s not published: %s", record.jobId(), record.tenantId(),
                            t.getMessage());
                    return false;
                })
                .subscribeAsCompletionStage();
        underWay.add(done);
        done.whenComplete((published, t) -> underWay.remove(done));
        return done;
    }

    /** Runs after a worker's drain ({@code @Priority(1)}), before the Kafka producer and the Redis client close. */
    void flush(@Observes @Priority(2) ShutdownEvent ignored) {
        if (underWay.isEmpty()) {
            return;
        }
        try {
            CompletableFuture.allOf(underWay.toArray(CompletableFuture[]::new))
                    .get(FLUSH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            LOG.warnf("%d usage records still unpublished at shutdown", underWay.size());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Uni<Boolean> claim(UsageRecord record) {
        return redis.value(String.class)
                .setAndChanged(RedisKeys.usageClaim(record.jobId()), "1", new SetArgs().nx().ex(CLAIM_TTL))
                .onFailure().recoverWithItem(t -> {
                    LOG.warnf("usage claim of job %s of tenant %s failed, publishing unclaimed: %s", record.jobId(),
                            record.tenantId(), t.getMessage());
                    return true;
                });
    }

    private Uni<Void> publish(UsageRecord record) {
        return usage.sendMessage(Message.of(record)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(record.tenantId()).build()));
    }
}
