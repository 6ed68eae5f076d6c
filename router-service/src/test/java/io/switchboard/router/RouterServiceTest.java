package io.switchboard.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.switchboard.schema.event.AssignmentReply;
import io.switchboard.schema.event.CancelJob;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobAssignment;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.schema.wire.RouterInbox;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.UsageTopic;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.KafkaTestClient;
import io.switchboard.testing.Wait;
import io.restassured.RestAssured;

/** The router service against a real Kafka broker and Redis, with the test playing gateway and workers. */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
class RouterServiceTest {

    @Inject
    RedisDataSource redis;

    @Test
    void jobFromKafkaIsAssignedToALiveWorkerThroughItsRedisInbox() {
        String worker = "w-" + UUID.randomUUID();
        String model = "model-" + worker;
        heartbeatUntilRegistered(worker, model, 1);
        InferenceJob job = Fixtures.job("job-" + UUID.randomUUID(), model, 0, System.currentTimeMillis() + 60_000);

        KafkaTestClient.send(Topics.JOBS, job.jobId(), job);

        String inbox = RedisKeys.workerInbox(worker);
        Wait.until(Duration.ofSeconds(20), "assignment in " + inbox, () -> {
            WorkerSide.heartbeat(redis, worker, model, 1);
            return !redis.stream(String.class).xrange(inbox, StreamRange.of("-", "+")).isEmpty();
        });
        JobAssignment assignment = Json.read(redis.stream(String.class).xrange(inbox, StreamRange.of("-", "+")).get(0)
                .payload().get(RedisKeys.EVENT_FIELD), JobAssignment.class);
        assertThat(redis.key().ttl(inbox)).isPositive();
        assertThat(assignment.workerId()).isEqualTo(worker);
        assertThat(assignment.job()).isEqualTo(job);

        WorkerSide.report(redis, RouterInbox.REPLY, AssignmentReply.of(job.jobId(), worker,
                AssignmentReply.Verdict.ACCEPTED, null, System.currentTimeMillis()));
        WorkerSide.report(redis, RouterInbox.COMPLETION,
                JobCompletion.of(job.jobId(), worker, JobCompletion.Outcome.FINISHED, System.currentTimeMillis()));
        Wait.until(Duration.ofSeconds(10), "slot freed", () -> {
            WorkerSide.heartbeat(redis, worker, model, 1);
            return RestAssured.get("/router/workers").jsonPath().getInt("find { it.workerId == '" + worker + "' }.freeSlots") == 1;
        });
    }

    @Test
    void jobForAModelNoWorkerServesEndsWithA503FailureInItsStream() {
        InferenceJob job = Fixtures.job("job-" + UUID.randomUUID(), "model-nobody-serves", 0, System.currentTimeMillis() + 60_000);

        KafkaTestClient.send(Topics.JOBS, job.jobId(), job);

        Wait.until(Duration.ofSeconds(20), "failure in the job stream",
                () -> !redis.stream(String.class).xrange(RedisKeys.jobStream(job.jobId()), StreamRange.of("-", "+")).isEmpty());
        var entries = redis.stream(String.class).xrange(RedisKeys.jobStream(job.jobId()), StreamRange.of("-", "+"));
        TokenEvent event = Json.read(entries.get(0).payload().get(RedisKeys.EVENT_FIELD), TokenEvent.class);
        assertThat(event).isInstanceOfSatisfying(TokenEvent.Failure.class, f -> {
            assertThat(f.code()).isEqualTo("no_worker_available");
            assertThat(f.status()).isEqualTo(503);
        });
        assertThat(redis.key().ttl(RedisKeys.jobStream(job.jobId()))).isPositive();
    }

    @Test
    void jobForAModelNoWorkerServesHasExactlyOneFailedUsageRecord() {
        InferenceJob job = Fixtures.job("job-" + UUID.randomUUID(), "model-nobody-serves", 0, System.currentTimeMillis() + 60_000);

        KafkaTestClient.send(Topics.JOBS, job.jobId(), job);

        UsageRecord usage = UsageTopic.awaitFirst(job.jobId(), Duration.ofSeconds(20));
        assertThat(usage.outcome()).isEqualTo(UsageRecord.Outcome.FAILED);
        assertThat(usage.detail()).isEqualTo("no_worker_available");
        assertThat(usage.tenantId()).isEqualTo(job.tenantId());
        assertThat(usage.keyId()).isEqualTo(job.keyId());
        assertThat(usage.engine()).isEqualTo("none");
        assertThat(usage.workerId()).isNull();
        assertThat(usage.totalTokens()).isZero();
        assertThat(UsageTopic.recordsOf(job.jobId(), Duration.ofSeconds(3))).hasSize(1);
    }

    @Test
    void flowControlDecisionsArePublishedAsPrometheusMetrics() {
        InferenceJob job = Fixtures.job("job-" + UUID.randomUUID(), "model-metrics-nobody", 0, System.currentTimeMillis() + 60_000);

        KafkaTestClient.send(Topics.JOBS, job.jobId(), job);

        Wait.until(Duration.ofSeconds(20), "the refusal counted", () -> RestAssured.get("/q/metrics").body().asString()
                .lines().anyMatch(l -> l.startsWith("switchboard_router_refusals_total")
                        && l.contains("model=\"model-metrics-nobody\"") && l.contains("reason=\"no_worker_available\"")));
        String metrics = RestAssured.get("/q/metrics").body().asString();
        assertThat(metrics).contains("switchboard_router_queue_depth{band=\"standard\",model=\"model-metrics-nobody\"} 0.0")
                .contains("switchboard_router_decision_seconds_bucket{input=\"job\"");
    }

    @Test
    void jobCancelledWhileQueuedHasOneCancelledUsageRecordWithTheCancelReason() throws Exception {
        String worker = "w-" + UUID.randomUUID();
        String model = "model-" + worker;
        heartbeatUntilRegistered(worker, model, 1);
        ScheduledExecutorService alive = Executors.newSingleThreadScheduledExecutor();
        alive.scheduleAtFixedRate(() -> WorkerSide.heartbeat(redis, worker, model, 1), 0, 200, TimeUnit.MILLISECONDS);
        try {
            // the worker's one slot is taken, so the next job waits in the router's queue
            InferenceJob blocker = Fixtures.job("job-" + UUID.randomUUID(), model, 0, System.currentTimeMillis() + 60_000);
            KafkaTestClient.send(Topics.JOBS, blocker.jobId(), blocker);
            Wait.until(Duration.ofSeconds(20), "blocker assigned",
                    () -> !redis.stream(String.class).xrange(RedisKeys.workerInbox(worker), StreamRange.of("-", "+")).isEmpty());
            InferenceJob waiting = Fixtures.job("job-" + UUID.randomUUID(), model, 0, System.currentTimeMillis() + 60_000);
            KafkaTestClient.send(Topics.JOBS, waiting.jobId(), waiting);
            Wait.until(Duration.ofSeconds(20), "job queued", () -> RestAssured.get("/router/queue").jsonPath().getInt("queued") > 0);
            // the status API shows it in its model's standard band, under its tenant
            String band = "pools.find { it.model == '" + model + "' }.bands.find { it.band == 'standard' }";
            assertThat(RestAssured.get("/router/queue").jsonPath().getInt(band + ".queued")).isEqualTo(1);
            assertThat(RestAssured.get("/router/queue").jsonPath().getString(band + ".tenants[0].tenant")).isEqualTo(waiting.tenantId());

            KafkaTestClient.send(Topics.CANCELS, waiting.jobId(), CancelJob.of(waiting.jobId(), "timeout", System.currentTimeMillis()));

            UsageRecord usage = UsageTopic.awaitFirst(waiting.jobId(), Duration.ofSeconds(20));
            assertThat(usage.outcome()).isEqualTo(UsageRecord.Outcome.CANCELLED);
            assertThat(usage.detail()).isEqualTo("timeout");
            assertThat(usage.totalTokens()).isZero();
            assertThat(UsageTopic.recordsOf(waiting.jobId(), Duration.ofSeconds(2))).hasSize(1);
            assertThat(redis.key().exists(RedisKeys.jobStream(waiting.jobId()))).isFalse();
        } finally {
            alive.shutdownNow();
            alive.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aJobsKafkaRecordIsCommittedOnlyOnceAWorkerAcceptedIt() throws Exception {
        String worker = "w-" + UUID.randomUUID();
        String model = "model-" + worker;
        heartbeatUntilRegistered(worker, model, 1);
        ScheduledExecutorService alive = Executors.newSingleThreadScheduledExecutor();
        alive.scheduleAtFixedRate(() -> WorkerSide.heartbeat(redis, worker, model, 1), 0, 200, TimeUnit.MILLISECONDS);
        try {
            // what earlier tests left settles first (their jobs end: failed, dropped or taken back)
            Wait.until(Duration.ofSeconds(30), "no job open in the router", () -> RestAssured.get("/router/queue").jsonPath()
                    .getInt("queued") == 0 && RestAssured.get("/router/queue").jsonPath().getInt("running") == 0);
            InferenceJob job = Fixtures.job("job-" + UUID.randomUUID(), model, 0, System.currentTimeMillis() + 60_000);
            long offset = KafkaTestClient.send(Topics.JOBS, job.jobId(), job);
            Wait.until(Duration.ofSeconds(20), "assigned",
                    () -> !redis.stream(String.class).xrange(RedisKeys.workerInbox(worker), StreamRange.of("-", "+")).isEmpty());
            Thread.sleep(1000); // several commit intervals
            assertThat(committedJobsOffset()).as("assigned, not yet accepted: not committed").isLessThanOrEqualTo(offset);

            WorkerSide.report(redis, RouterInbox.REPLY, AssignmentReply.of(job.jobId(), worker,
                    AssignmentReply.Verdict.ACCEPTED, null, System.currentTimeMillis()));

            Wait.until(Duration.ofSeconds(10), "committed past the accepted job", () -> committedJobsOffset() == offset + 1);
        } finally {
            alive.shutdownNow();
            alive.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void theOnlyRouterHoldsTheLeaderLease() {
        assertThat(RestAssured.get("/router/leader").jsonPath().getBoolean("leader")).isTrue();
        String id = RestAssured.get("/router/leader").jsonPath().getString("routerId");
        assertThat(redis.value(String.class).get(RedisKeys.ROUTER_LEADER)).isEqualTo(id);
    }

    private void heartbeatUntilRegistered(String worker, String model, int slots) {
        Wait.until(Duration.ofSeconds(30), "router registers " + worker, () -> {
            WorkerSide.heartbeat(redis, worker, model, slots);
            return RestAssured.get("/router/workers").body().asString().contains(worker);
        });
    }

    /** The offset the router committed on the jobs topic (partition 0), or -1 for none. */
    private static long committedJobsOffset() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class)))) {
            OffsetAndMetadata committed = admin.listConsumerGroupOffsets("switchboard-router").partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS).get(new TopicPartition(Topics.JOBS, 0));
            return committed == null ? -1 : committed.offset();
        }
    }
}
