package io.switchboard.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.switchboard.schema.event.AssignmentReply;
import io.switchboard.schema.event.CancelJob;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.schema.wire.RouterInbox;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.KafkaTestClient;
import io.switchboard.testing.UsageTopic;
import io.switchboard.testing.Wait;

/**
 * The first cancel a router hears after it starts takes a queued job out at once. Its cancels consumer commits nothing
 * (its group is its own and starts at the end): with SmallRye's default commit strategy, the first record of a
 * partition waited for its committed offset, looked up on the polling thread behind the poll in progress. The poll
 * timeout is 20 s here (1 s by default), so that wait cannot hide; and the cancels come on a topic of this test's own,
 * so the cancel sent here is its partition's first record (on the shared topic, a cancel of another test read back on
 * assignment would have been the first, and paid the wait unseen).
 */
@QuarkusTest
@TestProfile(FirstCancelTest.LongPolls.class)
@QuarkusTestResource(InfraTestResource.class)
class FirstCancelTest {
    /** A fixed name: the profile may be loaded apart from the test class (a random one could differ between them). */
    static final String CANCELS = Topics.CANCELS + ".first-cancel-router";

    public static class LongPolls implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("mp.messaging.incoming.cancels.poll-timeout", "20000",
                    "mp.messaging.incoming.cancels.topic", CANCELS);
        }
    }

    @Inject
    RedisDataSource redis;

    @Test
    void theFirstCancelAfterStartUpTakesTheQueuedJobOutWithoutWaitingForThePollInProgress() throws Exception {
        Wait.until(Duration.ofSeconds(30), "the router ready (its cancels partition assigned)",
                () -> RestAssured.get("/q/health/ready").statusCode() == 200);
        String worker = "w-" + UUID.randomUUID();
        String model = "model-" + worker;
        AtomicReference<String[]> running = new AtomicReference<>(new String[0]);
        ScheduledExecutorService alive = Executors.newSingleThreadScheduledExecutor();
        alive.scheduleAtFixedRate(() -> WorkerSide.heartbeat(redis, worker, model, 1, running.get()), 0, 200,
                TimeUnit.MILLISECONDS);
        try {
            Wait.until(Duration.ofSeconds(30), "router registers " + worker,
                    () -> RestAssured.get("/router/workers").body().asString().contains(worker));
            // the worker's one slot is taken (accepted, and running in its heartbeats), so the next job waits in line
            InferenceJob blocker = Fixtures.job("job-" + UUID.randomUUID(), model, 0, System.currentTimeMillis() + 120_000);
            KafkaTestClient.send(Topics.JOBS, blocker.jobId(), blocker);
            Wait.until(Duration.ofSeconds(20), "blocker assigned",
                    () -> !redis.stream(String.class).xrange(RedisKeys.workerInbox(worker), StreamRange.of("-", "+")).isEmpty());
            running.set(new String[] {blocker.jobId()});
            WorkerSide.report(redis, RouterInbox.REPLY, AssignmentReply.of(blocker.jobId(), worker,
                    AssignmentReply.Verdict.ACCEPTED, null, System.currentTimeMillis()));
            InferenceJob waiting = Fixtures.job("job-" + UUID.randomUUID(), model, 0, System.currentTimeMillis() + 120_000);
            KafkaTestClient.send(Topics.JOBS, waiting.jobId(), waiting);
            String band = "pools.find { it.model == '" + model + "' }.bands.find { it.band == 'standard' }.queued";
            Wait.until(Duration.ofSeconds(20), "job queued", () -> Integer.valueOf(1)
                    .equals(RestAssured.get("/router/queue").jsonPath().get(band)));

            long sent = System.nanoTime();
            KafkaTestClient.send(CANCELS, waiting.jobId(), CancelJob.of(waiting.jobId(), "client_disconnected",
                    System.currentTimeMillis()));
            UsageRecord usage = UsageTopic.awaitFirst(waiting.jobId(), Duration.ofSeconds(40));
            long tookMs = (System.nanoTime() - sent) / 1_000_000;

            assertThat(usage.outcome()).isEqualTo(UsageRecord.Outcome.CANCELLED);
            assertThat(usage.detail()).isEqualTo("client_disconnected");
            // about 0.1 s; with the commit lookup behind a 20 s poll it took as long as that poll
            assertThat(tookMs).as("ms from the cancel's publish to the cancelled job's usage record").isLessThan(5_000);
        } finally {
            alive.shutdownNow();
            alive.awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
