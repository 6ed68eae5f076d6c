package io.switchboard.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.junit.jupiter.api.Test;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.redis.datasource.stream.XAddArgs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.switchboard.schema.event.AssignmentReply;
import io.switchboard.schema.event.CancelJob;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobAssignment;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.event.WorkerHeartbeat;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.schema.wire.RouterInbox;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.UsageTopic;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.KafkaTestClient;
import io.switchboard.testing.Wait;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.switchboard.common.usage.UsageReporter;
import io.switchboard.worker.capacity.WorkerIdentity;

/** The worker service with the real model on a real Kafka broker and Redis; the test plays the router (inbox, cancels). */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
class WorkerServiceTest {

    @Inject
    RedisDataSource redis;
    @Inject
    WorkerIdentity identity;
    @Inject
    ReactiveRedisDataSource reactiveRedis;
    @Inject
    @Channel("usage")
    MutinyEmitter<UsageRecord> usageChannel;

    @Test
    void heartbeatsAnnounceModelAndSlots() {
        WorkerHeartbeat hb = KafkaTestClient.await(Topics.HEARTBEATS, WorkerHeartbeat.class,
                h -> h.workerId().equals(identity.id()), Duration.ofSeconds(20));
        assertThat(hb.models()).containsExactly("test-model");
        assertThat(hb.engine()).isEqualTo("llama");
        assertThat(hb.totalSlots()).isEqualTo(2);
        // each choice takes a slot: the engine's 8 choices are offered as 2
        assertThat(hb.capabilities().maxN()).isEqualTo(2);
    }

    @Test
    void aJobTakesOneSlotPerChoiceAndOneWhoseChoicesDoNotFitIsRefused() {
        InferenceJob running = Jobs.job("test-model", 1900, 0.8, List.of(), true);
        assign(identity.id(), running);
        Wait.until(Duration.ofSeconds(20), "first tokens", () -> redis.key().exists(RedisKeys.jobStream(running.jobId())));

        InferenceJob two = withChoices(Jobs.job("test-model", 4, 0.8, List.of(), true), 2);
        assign(identity.id(), two);
        assertThat(report(RouterInbox.REPLY, AssignmentReply.class, two.jobId(), Duration.ofSeconds(20)).verdict())
                .isEqualTo(AssignmentReply.Verdict.FULL);

        KafkaTestClient.send(Topics.CANCELS, running.jobId(), CancelJob.of(running.jobId(), "client_disconnected",
                System.currentTimeMillis()));
        report(RouterInbox.COMPLETION, JobCompletion.class, running.jobId(), Duration.ofSeconds(20));
        Wait.until(Duration.ofSeconds(5), "slots free", () -> RestAssured.get("/worker/status").jsonPath().getInt("slots.active") == 0);
        InferenceJob again = withChoices(Jobs.job("test-model", 4, 0.8, List.of(), true), 2);
        assign(identity.id(), again);
        assertThat(report(RouterInbox.REPLY, AssignmentReply.class, again.jobId(), Duration.ofSeconds(20)).verdict())
                .isEqualTo(AssignmentReply.Verdict.ACCEPTED);
        report(RouterInbox.COMPLETION, JobCompletion.class, again.jobId(), Duration.ofSeconds(30));
        assertThat(RestAssured.get("/worker/status").jsonPath().getInt("slots.peakActive")).isLessThanOrEqualTo(2);
    }

    static InferenceJob withChoices(InferenceJob plain, int n) {
        return plain.withOptions(new io.switchboard.schema.event.GenerationOptions(n, false, null, null, null, null, null,
                null));
    }

    @Test
    void assignedJobStreamsDeltasThenFinishWithUsageAndReportsCompletion() {
        InferenceJob job = Jobs.job("test-model", 12, 0.0, List.of(), true);
        assign(identity.id(), job);

        assertThat(report(RouterInbox.REPLY, AssignmentReply.class, job.jobId(), Duration.ofSeconds(30)).verdict())
                .isEqualTo(AssignmentReply.Verdict.ACCEPTED);
        JobCompletion done = report(RouterInbox.COMPLETION, JobCompletion.class, job.jobId(), Duration.ofSeconds(30));
        assertThat(done.outcome()).isEqualTo(JobCompletion.Outcome.FINISHED);
        assertThat(redis.value(String.class).get(RedisKeys.jobOwner(job.jobId()))).isEqualTo(identity.id());

        List<TokenEvent> events = events(job.jobId());
        assertThat(events.get(events.size() - 1)).isInstanceOfSatisfying(TokenEvent.Finish.class, f -> {
            assertThat(f.finishReason()).isEqualTo("length");
            assertThat(f.usage().completionTokens()).isEqualTo(12);
            assertThat(f.usage().promptTokens()).isPositive();
            // the router charges the tenant's fair share with the same real counts the client gets
            assertThat(done.promptTokens()).isEqualTo(f.usage().promptTokens());
            assertThat(done.completionTokens()).isEqualTo(12);
        });
        assertThat(events.subList(0, events.size() - 1)).isNotEmpty().allMatch(e -> e instanceof TokenEvent.Delta);
        long ttl = redis.key().ttl(RedisKeys.jobStream(job.jobId()));
        assertThat(ttl).isBetween(1L, 300L);
    }

    @Test
    void anInboxLostWithItsConsumerGroupIsMadeAgainAndTheAssignmentsAfterwardsAreStillAnswered() {
        // Redis lost the inbox (it expired, or Redis restarted empty) under the worker's blocked read: the read fails,
        // the worker makes the group again and reads on; an assignment written meanwhile is not lost
        redis.key().del(RedisKeys.workerInbox(identity.id()));
        InferenceJob job = Jobs.job("test-model", 2, 0.0, List.of(), true);
        assign(identity.id(), job);

        assertThat(report(RouterInbox.REPLY, AssignmentReply.class, job.jobId(), Duration.ofSeconds(20)).verdict())
                .isEqualTo(AssignmentReply.Verdict.ACCEPTED);
        report(RouterInbox.COMPLETION, JobCompletion.class, job.jobId(), Duration.ofSeconds(20));
        assertThat(redis.stream(String.class).xlen(RedisKeys.workerInbox(identity.id()))).isZero();
    }

    @Test
    void assignmentForAnotherWorkerIsIgnored() {
        InferenceJob job = Jobs.job("test-model", 4, 0.0, List.of(), true);
        // written to this worker's inbox but addressed to another: not run
        write(identity.id(), JobAssignment.of(job, "someone-else", System.currentTimeMillis()));
        InferenceJob mine = Jobs.job("test-model", 2, 0.0, List.of(), true);
        assign(identity.id(), mine);

        report(RouterInbox.COMPLETION, JobCompletion.class, mine.jobId(), Duration.ofSeconds(30));
        assertThat(redis.key().exists(RedisKeys.jobStream(job.jobId()))).isFalse();
    }

    @Test
    void cancelStopsARunningSequenceAndFreesItsSlot() {
        InferenceJob job = Jobs.job("test-model", 1900, 0.8, List.of(), true);
        assign(identity.id(), job);
        Wait.until(Duration.ofSeconds(20), "first tokens", () -> redis.key().exists(RedisKeys.jobStream(job.jobId())));

        KafkaTestClient.send(Topics.CANCELS, job.jobId(), CancelJob.of(job.jobId(), "client_disconnected", System.currentTimeMillis()));

        JobCompletion done = report(RouterInbox.COMPLETION, JobCompletion.class, job.jobId(), Duration.ofSeconds(20));
        assertThat(done.outcome()).isEqualTo(JobCompletion.Outcome.CANCELLED);
        Wait.until(Duration.ofSeconds(5), "slot free", () -> RestAssured.get("/worker/status").jsonPath().getInt("slots.active") == 0);
    }

    @Test
    void finishedJobHasExactlyOneUsageRecordWithTheTokensOfItsFinish() {
        InferenceJob job = Jobs.job("test-model", 12, 0.0, List.of(), true);
        assign(identity.id(), job);

        UsageRecord usage = UsageTopic.awaitFirst(job.jobId(), Duration.ofSeconds(30));

        TokenEvent.Finish finish = (TokenEvent.Finish) terminal(job.jobId());
        assertThat(usage.outcome()).isEqualTo(UsageRecord.Outcome.FINISHED);
        assertThat(usage.detail()).isNull();
        assertThat(usage.finishReason()).isEqualTo(finish.finishReason()).isEqualTo("length");
        assertThat(usage.promptTokens()).isEqualTo(finish.usage().promptTokens()).isPositive();
        assertThat(usage.completionTokens()).isEqualTo(finish.usage().completionTokens()).isEqualTo(12);
        assertThat(usage.totalTokens()).isEqualTo(finish.usage().totalTokens());
        assertThat(usage.tenantId()).isEqualTo(job.tenantId());
        assertThat(usage.keyId()).isEqualTo(job.keyId());
        assertThat(usage.model()).isEqualTo(job.model());
        assertThat(usage.engine()).isEqualTo("llama");
        assertThat(usage.workerId()).isEqualTo(identity.id());
        assertThat(usage.timeToFirstTokenMs()).isNotNull().isBetween(usage.queueMs(), usage.durationMs());
        assertThat(usage.endedAtMs() - usage.createdAtMs()).isEqualTo(usage.durationMs());
        assertThat(UsageTopic.recordsOf(job.jobId(), Duration.ofSeconds(3))).hasSize(1);
    }

    @Test
    void cancelledSequenceHasOneCancelledUsageRecordWithTheTokensItGenerated() {
        InferenceJob job = Jobs.job("test-model", 1900, 0.8, List.of(), true);
        assign(identity.id(), job);
        Wait.until(Duration.ofSeconds(20), "first tokens", () -> redis.key().exists(RedisKeys.jobStream(job.jobId())));

        KafkaTestClient.send(Topics.CANCELS, job.jobId(), CancelJob.of(job.jobId(), "client_disconnected", System.currentTimeMillis()));

        UsageRecord usage = UsageTopic.awaitFirst(job.jobId(), Duration.ofSeconds(20));
        // the client's stream ends with a finish carrying what was generated; the usage record says the same
        TokenEvent.Finish finish = (TokenEvent.Finish) terminal(job.jobId());
        assertThat(usage.outcome()).isEqualTo(UsageRecord.Outcome.CANCELLED);
        assertThat(usage.detail()).isEqualTo("client_disconnected");
        assertThat(usage.finishReason()).isNull();
        assertThat(usage.completionTokens()).isEqualTo(finish.usage().completionTokens()).isBetween(1, 1899);
        assertThat(usage.promptTokens()).isEqualTo(finish.usage().promptTokens()).isPositive();
        assertThat(usage.timeToFirstTokenMs()).isNotNull();
        assertThat(UsageTopic.recordsOf(job.jobId(), Duration.ofSeconds(3))).hasSize(1);
    }

    @Test
    void jobPastItsDeadlineIsRefusedBackToTheRouterAndNeverRunOrClaimed() {
        InferenceJob fresh = Jobs.job("test-model", 8, 0.0, List.of(), true);
        long now = System.currentTimeMillis();
        InferenceJob expired = new InferenceJob(InferenceJob.VERSION, fresh.jobId(), fresh.requestId(), fresh.tenantId(),
                fresh.model(), 0, fresh.messages(), fresh.sampling(), now - 2_000, now - 1_000, fresh.keyId(),
                fresh.serviceClass(), fresh.weight());
        assign(identity.id(), expired);

        AssignmentReply reply = report(RouterInbox.REPLY, AssignmentReply.class, expired.jobId(), Duration.ofSeconds(20));

        // the router's queue ends it (queue_timeout, under the claim): the worker neither runs nor claims it
        assertThat(reply.verdict()).isEqualTo(AssignmentReply.Verdict.FULL);
        assertThat(redis.key().exists(RedisKeys.jobOwner(expired.jobId()))).isFalse();
        assertThat(redis.key().exists(RedisKeys.jobStream(expired.jobId()))).isFalse();
    }

    @Test
    void aJobWhoseStreamRedisRefusesEndsWithAnErrorOnceRedisTakesItAgainAndIsCountedBroken() throws Exception {
        InferenceJob job = Jobs.job("test-model", 8, 0.0, List.of(), true);
        String key = RedisKeys.jobStream(job.jobId());
        // Redis refuses every write to the job's stream (its key is a string): the first delta's tries (about 1.5 s)
        // fail, the stream breaks; the failure that ends it is tried for about 8.5 s more, and lands once writes pass
        redis.value(String.class).set(key, "not a stream");
        double before = brokenEndedWithFailure();
        assign(identity.id(), job);
        assertThat(report(RouterInbox.REPLY, AssignmentReply.class, job.jobId(), Duration.ofSeconds(20)).verdict())
                .isEqualTo(AssignmentReply.Verdict.ACCEPTED);
        Thread.sleep(3000);
        redis.key().del(key);

        JobCompletion done = report(RouterInbox.COMPLETION, JobCompletion.class, job.jobId(), Duration.ofSeconds(30));
        assertThat(done.outcome()).isEqualTo(JobCompletion.Outcome.FAILED);
        assertThat(events(job.jobId())).singleElement().isInstanceOfSatisfying(TokenEvent.Failure.class,
                f -> assertThat(f.code()).isEqualTo("inference_failed"));
        assertThat(brokenEndedWithFailure()).isEqualTo(before + 1);
    }

    private static double brokenEndedWithFailure() {
        String metrics = RestAssured.get("/q/metrics").asString();
        return metrics.lines().filter(l -> l.startsWith("switchboard_worker_streams_broken_total{end=\"ended_with_failure\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void aJobSomeoneElseOwnsIsRefusedAsClaimedAndNeverRun() {
        InferenceJob job = Jobs.job("test-model", 8, 0.0, List.of(), true);
        redis.value(String.class).set(RedisKeys.jobOwner(job.jobId()), "~abandoned:publish_failed");
        assign(identity.id(), job);

        AssignmentReply reply = report(RouterInbox.REPLY, AssignmentReply.class, job.jobId(), Duration.ofSeconds(20));

        assertThat(reply.verdict()).isEqualTo(AssignmentReply.Verdict.CLAIMED);
        assertThat(reply.owner()).isEqualTo("~abandoned:publish_failed");
        assertThat(redis.key().exists(RedisKeys.jobStream(job.jobId()))).isFalse();
        // answered entries are deleted: the prompt does not stay in Redis
        assertThat(redis.stream(String.class).xlen(RedisKeys.workerInbox(identity.id()))).isZero();
    }

    @Test
    void assignmentsReadTogetherAreEachAnsweredAndAJobAssignedTwiceAmongThemRunsOnce() {
        InferenceJob twice = Jobs.job("test-model", 4, 0.0, List.of(), true);
        InferenceJob owned = Jobs.job("test-model", 4, 0.0, List.of(), true);
        redis.value(String.class).set(RedisKeys.jobOwner(owned.jobId()), "~abandoned:client_gone");
        long now = System.currentTimeMillis();
        // one transaction: the inbox reads the three entries in one batch (two slots), whose claims go together
        redis.withTransaction(tx -> {
            for (InferenceJob job : List.of(twice, owned, twice)) {
                tx.stream(String.class).xadd(RedisKeys.workerInbox(identity.id()), new XAddArgs(),
                        Map.of(RedisKeys.EVENT_FIELD, Json.write(JobAssignment.of(job, identity.id(), now))));
            }
        });

        assertThat(report(RouterInbox.REPLY, AssignmentReply.class, owned.jobId(), Duration.ofSeconds(20)).verdict())
                .isEqualTo(AssignmentReply.Verdict.CLAIMED);
        Wait.until(Duration.ofSeconds(20), "both assignments of the job answered", () -> replies(twice.jobId()).size() == 2);
        assertThat(replies(twice.jobId())).extracting(AssignmentReply::verdict)
                .containsExactly(AssignmentReply.Verdict.ACCEPTED, AssignmentReply.Verdict.ACCEPTED);
        report(RouterInbox.COMPLETION, JobCompletion.class, twice.jobId(), Duration.ofSeconds(20));
        assertThat(events(twice.jobId())).filteredOn(e -> e instanceof TokenEvent.Finish).hasSize(1);
        assertThat(redis.key().exists(RedisKeys.jobStream(owned.jobId()))).isFalse();
    }

    @Test
    void aJobWhoseClaimRedisRefusesIsRefusedAndTheOneReadWithItStillRuns() {
        InferenceJob broken = Jobs.job("test-model", 2, 0.0, List.of(), true);
        InferenceJob fine = Jobs.job("test-model", 2, 0.0, List.of(), true);
        // the broken job's owner key is a hash: its claim script fails (WRONGTYPE), and with it the batch of claims
        // read together; each is then claimed alone
        redis.hash(String.class).hset(RedisKeys.jobOwner(broken.jobId()), "not", "a claim");
        long now = System.currentTimeMillis();
        redis.withTransaction(tx -> {
            for (InferenceJob job : List.of(broken, fine)) {
                tx.stream(String.class).xadd(RedisKeys.workerInbox(identity.id()), new XAddArgs(),
                        Map.of(RedisKeys.EVENT_FIELD, Json.write(JobAssignment.of(job, identity.id(), now))));
            }
        });

        assertThat(report(RouterInbox.REPLY, AssignmentReply.class, fine.jobId(), Duration.ofSeconds(20)).verdict())
                .isEqualTo(AssignmentReply.Verdict.ACCEPTED);
        assertThat(report(RouterInbox.REPLY, AssignmentReply.class, broken.jobId(), Duration.ofSeconds(20)).verdict())
                .isEqualTo(AssignmentReply.Verdict.FULL);
        report(RouterInbox.COMPLETION, JobCompletion.class, fine.jobId(), Duration.ofSeconds(20));
        assertThat(redis.key().exists(RedisKeys.jobStream(broken.jobId()))).isFalse();
        // its slots were given back: the worker's slots all free again once the other job ended
        Wait.until(Duration.ofSeconds(10), "every slot free", () -> {
            var status = RestAssured.get("/worker/status").jsonPath();
            return status.getInt("slots.active") == 0 && status.getInt("slots.queued") == 0;
        });
    }

    private List<AssignmentReply> replies(String jobId) {
        return redis.stream(String.class).xrange(RedisKeys.ROUTER_INBOX, StreamRange.of("-", "+")).stream()
                .filter(m -> RouterInbox.REPLY.equals(m.payload().get(RedisKeys.KIND_FIELD))
                        && m.payload().get(RedisKeys.EVENT_FIELD).contains("\"" + jobId + "\""))
                .map(m -> Json.read(m.payload().get(RedisKeys.EVENT_FIELD), AssignmentReply.class)).toList();
    }

    @Test
    void twoReportersRacingOnOneJobPublishOneRecord() throws Exception {
        InferenceJob job = Jobs.job("test-model", 8, 0.0, List.of(), true);
        UsageRecord record = UsageRecord.notRun(job, UsageRecord.Outcome.CANCELLED, "client_disconnected",
                System.currentTimeMillis());
        UsageReporter worker = new UsageReporter(reactiveRedis, usageChannel, new SimpleMeterRegistry());
        UsageReporter router = new UsageReporter(reactiveRedis, usageChannel, new SimpleMeterRegistry());

        // both claims are in flight before either is answered
        CompletableFuture<Boolean> first = worker.report(record);
        CompletableFuture<Boolean> second = router.report(record);

        assertThat(List.of(first.get(10, TimeUnit.SECONDS), second.get(10, TimeUnit.SECONDS))).containsExactlyInAnyOrder(true, false);
        assertThat(UsageTopic.recordsOf(job.jobId(), Duration.ofSeconds(3))).containsExactly(record);
        assertThat(redis.key().ttl(RedisKeys.usageClaim(job.jobId()))).isBetween(86_000L, 86_400L);
        assertThat(worker.report(record).get(10, TimeUnit.SECONDS)).as("a late third writer").isFalse();
    }

    /** Plays the router: appends an assignment to the worker's inbox stream. */
    /** The first report of {@code kind} about {@code jobId} in the routers' inbox, waiting up to {@code timeout}. */
    @Test
    void twoChoicesStreamUnderTheirIndexesEachEndsThenOneFinishSumsTheirUsage() {
        InferenceJob job = withChoices(Jobs.job("test-model", 6, 0.8, List.of(), true), 2);
        assign(identity.id(), job);
        report(RouterInbox.COMPLETION, JobCompletion.class, job.jobId(), Duration.ofSeconds(30));

        List<TokenEvent> events = events(job.jobId());
        assertThat(events.stream().filter(TokenEvent.Delta.class::isInstance).map(e -> ((TokenEvent.Delta) e).index())
                .distinct().sorted().toList()).containsExactly(0, 1);
        List<TokenEvent.ChoiceEnd> ends = events.stream().filter(TokenEvent.ChoiceEnd.class::isInstance)
                .map(TokenEvent.ChoiceEnd.class::cast).toList();
        assertThat(ends).extracting(TokenEvent.ChoiceEnd::index).containsExactlyInAnyOrder(0, 1);
        assertThat(ends).extracting(TokenEvent.ChoiceEnd::finishReason).containsOnly("length");
        for (TokenEvent.ChoiceEnd end : ends) {
            // nothing of a choice comes after its end
            int at = events.indexOf(end);
            assertThat(events.subList(at + 1, events.size())).noneMatch(
                    e -> e instanceof TokenEvent.Delta d && d.index() == end.index());
        }
        assertThat(events.getLast()).isInstanceOfSatisfying(TokenEvent.Finish.class,
                f -> assertThat(f.usage().completionTokens()).isEqualTo(12));
    }

    private <T> T report(String kind, Class<T> type, String jobId, Duration timeout) {
        return RouterSide.report(redis, kind, type, jobId, timeout);
    }

    private void assign(String workerId, InferenceJob job) {
        write(workerId, JobAssignment.of(job, workerId, System.currentTimeMillis()));
    }

    private void write(String inboxOf, JobAssignment assignment) {
        RouterSide.assign(redis, inboxOf, assignment);
    }

    private TokenEvent terminal(String jobId) {
        List<TokenEvent> events = events(jobId);
        return events.get(events.size() - 1);
    }

    private List<TokenEvent> events(String jobId) {
        return redis.stream(String.class).xrange(RedisKeys.jobStream(jobId), StreamRange.of("-", "+")).stream()
                .map(m -> Json.read(m.payload().get(RedisKeys.EVENT_FIELD), TokenEvent.class)).toList();
    }
}
