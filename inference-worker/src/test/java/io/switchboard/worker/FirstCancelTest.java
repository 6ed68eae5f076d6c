package io.switchboard.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.switchboard.schema.event.CancelJob;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobAssignment;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.schema.wire.RouterInbox;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.KafkaTestClient;
import io.switchboard.testing.Wait;
import io.switchboard.worker.capacity.WorkerIdentity;

/**
 * The first cancel a worker hears after it starts stops its sequence at once. Its cancels consumer commits nothing (its
 * group is its own and starts at the end): with SmallRye's default commit strategy, the first record of a partition
 * waited for its committed offset, looked up on the polling thread behind the poll in progress, so the first cancel
 * after a start waited up to the poll timeout. The poll timeout is 20 s here (1 s by default), so that wait cannot hide;
 * and the cancels come on a topic of this test's own, so the cancel sent here is its partition's first record (on the
 * shared topic, a cancel of another test read back on assignment would have been the first, and paid the wait unseen).
 */
@QuarkusTest
@TestProfile(FirstCancelTest.LongPolls.class)
@QuarkusTestResource(InfraTestResource.class)
class FirstCancelTest {
    /** A fixed name: the profile may be loaded apart from the test class (a random one could differ between them). */
    static final String CANCELS = Topics.CANCELS + ".first-cancel-worker";

    public static class LongPolls implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("mp.messaging.incoming.cancels.poll-timeout", "20000",
                    "mp.messaging.incoming.cancels.topic", CANCELS,
                    "switchboard.worker.engine", "simulated",
                    "switchboard.worker.simulated.time-to-first-token", "0ms",
                    "switchboard.worker.simulated.tokens-per-second", "20");
        }
    }

    @Inject
    RedisDataSource redis;
    @Inject
    WorkerIdentity identity;

    @Test
    void theFirstCancelAfterStartUpStopsTheSequenceWithoutWaitingForThePollInProgress() {
        Wait.until(Duration.ofSeconds(30), "the worker ready (its cancels partitions assigned)",
                () -> RestAssured.get("/q/health/ready").statusCode() == 200);
        // 1,900 tokens at 20 a second: it runs for minutes unless the cancel stops it
        InferenceJob job = Jobs.job("test-model", 1900, 0.8, List.of(), true);
        RouterSide.assign(redis, identity.id(), JobAssignment.of(job, identity.id(), System.currentTimeMillis()));
        Wait.until(Duration.ofSeconds(20), "first tokens", () -> redis.key().exists(RedisKeys.jobStream(job.jobId())));

        long sent = System.nanoTime();
        KafkaTestClient.send(CANCELS, job.jobId(), CancelJob.of(job.jobId(), "client_disconnected", System.currentTimeMillis()));
        JobCompletion done = RouterSide.report(redis, RouterInbox.COMPLETION, JobCompletion.class, job.jobId(),
                Duration.ofSeconds(40));
        long tookMs = (System.nanoTime() - sent) / 1_000_000;

        assertThat(done.outcome()).isEqualTo(JobCompletion.Outcome.CANCELLED);
        // about 0.1 s; with the commit lookup behind a 20 s poll it took as long as that poll
        assertThat(tookMs).as("ms from the cancel's publish to the cancelled completion").isLessThan(5_000);
    }
}
