package io.switchboard.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.redis.datasource.stream.XAddArgs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.switchboard.schema.event.CancelJob;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobAssignment;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.event.WorkerHeartbeat;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.KafkaTestClient;
import io.switchboard.testing.Wait;
import io.switchboard.worker.capacity.WorkerIdentity;

/** The worker service with the real model on a real Kafka broker and Redis; the test plays the router (inbox, cancels). */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
class WorkerServiceTest {

    @Inject
    RedisDataSource redis;
    @Inject
    WorkerIdentity identity;

    @Test
    void heartbeatsAnnounceModelAndSlots() {
        WorkerHeartbeat hb = KafkaTestClient.await(Topics.HEARTBEATS, WorkerHeartbeat.class,
                h -> h.workerId().equals(identity.id()), Duration.ofSeconds(20));
        assertThat(hb.models()).containsExactly("test-model");
        assertThat(hb.engine()).isEqualTo("llama");
        assertThat(hb.totalSlots()).isEqualTo(2);
    }

    @Test
    void assignedJobStreamsDeltasThenFinishWithUsageAndReportsCompletion() {
        InferenceJob job = Jobs.job("test-model", 12, 0.0, List.of(), true);
        assign(identity.id(), job);

        JobCompletion done = KafkaTestClient.await(Topics.COMPLETIONS, JobCompletion.class,
                c -> c.jobId().equals(job.jobId()), Duration.ofSeconds(30));
        assertThat(done.outcome()).isEqualTo(JobCompletion.Outcome.FINISHED);

        List<TokenEvent> events = events(job.jobId());
        assertThat(events.get(events.size() - 1)).isInstanceOfSatisfying(TokenEvent.Finish.class, f -> {
            assertThat(f.finishReason()).isEqualTo("length");
            assertThat(f.usage().completionTokens()).isEqualTo(12);
            assertThat(f.usage().promptTokens()).isPositive();
        });
        assertThat(events.subList(0, events.size() - 1)).isNotEmpty().allMatch(e -> e instanceof TokenEvent.Delta);
        long ttl = redis.key().ttl(RedisKeys.jobStream(job.jobId()));
        assertThat(ttl).isBetween(1L, 60L);
    }

    @Test
    void assignmentForAnotherWorkerIsIgnored() {
        InferenceJob job = Jobs.job("test-model", 4, 0.0, List.of(), true);
        // written to this worker's inbox but addressed to another: not run
        write(identity.id(), JobAssignment.of(job, "someone-else", System.currentTimeMillis()));
        InferenceJob mine = Jobs.job("test-model", 2, 0.0, List.of(), true);
        assign(identity.id(), mine);

        KafkaTestClient.await(Topics.COMPLETIONS, JobCompletion.class, c -> c.jobId().equals(mine.jobId()), Duration.ofSeconds(30));
        assertThat(redis.key().exists(RedisKeys.jobStream(job.jobId()))).isFalse();
    }

    @Test
    void cancelStopsARunningSequenceAndFreesItsSlot() {
        InferenceJob job = Jobs.job("test-model", 1900, 0.8, List.of(), true);
        assign(identity.id(), job);
        Wait.until(Duration.ofSeconds(20), "first tokens", () -> redis.key().exists(RedisKeys.jobStream(job.jobId())));

        KafkaTestClient.send(Topics.CANCELS, job.jobId(), CancelJob.of(job.jobId(), "client_disconnected", System.currentTimeMillis()));

        JobCompletion done = KafkaTestClient.await(Topics.COMPLETIONS, JobCompletion.class,
                c -> c.jobId().equals(job.jobId()), Duration.ofSeconds(20));
        assertThat(done.outcome()).isEqualTo(JobCompletion.Outcome.CANCELLED);
        Wait.until(Duration.ofSeconds(5), "slot free", () -> RestAssured.get("/worker/status").jsonPath().getInt("slots.active") == 0);
    }

    /** Plays the router: appends an assignment to the worker's inbox stream. */
    private void assign(String workerId, InferenceJob job) {
        write(workerId, JobAssignment.of(job, workerId, System.currentTimeMillis()));
    }

    private void write(String inboxOf, JobAssignment assignment) {
        redis.stream(String.class).xadd(RedisKeys.workerInbox(inboxOf), new XAddArgs(),
                Map.of(RedisKeys.EVENT_FIELD, Json.write(assignment)));
    }

    private List<TokenEvent> events(String jobId) {
        return redis.stream(String.class).xrange(RedisKeys.jobStream(jobId), StreamRange.of("-", "+")).stream()
                .map(m -> Json.read(m.payload().get(RedisKeys.EVENT_FIELD), TokenEvent.class)).toList();
    }
}
