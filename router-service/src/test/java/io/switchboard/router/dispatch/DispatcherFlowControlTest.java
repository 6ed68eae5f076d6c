package io.switchboard.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.switchboard.router.Fixtures;
import io.switchboard.router.admission.FlowMetrics;
import io.switchboard.router.admission.FlowPolicy;
import io.switchboard.router.admission.JobQueue;
import io.switchboard.router.scheduling.LeastLoadedScorer;
import io.switchboard.router.scheduling.Placement;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.ServiceClass;

/** Flow control inside the dispatcher: caps, shedding, predicted waits, fair share settled by real counts, model pools. */
class DispatcherFlowControlTest {

    /** Keeps what the dispatcher reports, as the Micrometer bean would. */
    static final class Recorded implements FlowMetrics {
        final List<FailureCode> refused = new ArrayList<>();
        final Map<String, Long> charged = new HashMap<>();
        final Map<String, Integer> depth = new HashMap<>();
        final List<Long> waits = new ArrayList<>();

        @Override
        public void depth(String model, ServiceClass band, int n) {
            depth.put(model + "/" + band.wire(), n);
        }

        @Override
        public void dispatched(String model, ServiceClass band, long waitedMs) {
            waits.add(waitedMs);
        }

        @Override
        public void refused(String model, ServiceClass band, FailureCode reason) {
            refused.add(reason);
        }

        @Override
        public void charged(String tenantId, ServiceClass band, long promptTokens, long completionTokens) {
            charged.merge(tenantId + "/prompt", promptTokens, Long::sum);
            charged.merge(tenantId + "/completion", completionTokens, Long::sum);
        }
    }

    final Recorded metrics = new Recorded();

    AcceptingWorkers dispatcher(int maxPerTenant, int maxPerModel) {
        return new AcceptingWorkers(new Dispatcher(new Placement(List.of(new Placement.WeightedScorer(new LeastLoadedScorer(), 1)),
                new Random(1)), 3_000, 10_000, new FlowPolicy(30_000, 1.0, 2.0, maxPerTenant, maxPerModel), metrics));
    }

    static FailureCode failure(List<Action> actions) {
        assertThat(actions).singleElement().isInstanceOf(Action.Fail.class);
        return ((Action.Fail) actions.get(0)).code();
    }

    @Test
    void aTenantOverItsQueueCapIsRefusedAtOnceWithTenantQueueFull() {
        AcceptingWorkers d = dispatcher(2, 100);
        assertThat(d.onJob(Fixtures.job("t-1", "m", ServiceClass.STANDARD, "t"), 0)).isEmpty();
        assertThat(d.onJob(Fixtures.job("t-2", "m", ServiceClass.STANDARD, "t"), 0)).isEmpty();

        List<Action> refused = d.onJob(Fixtures.job("t-3", "m", ServiceClass.STANDARD, "t"), 0);

        assertThat(failure(refused)).isEqualTo(FailureCode.TENANT_QUEUE_FULL);
        assertThat(FailureCode.TENANT_QUEUE_FULL.status()).isEqualTo(429);
        assertThat(((Action.Fail) refused.get(0)).retryAfterMs()).as("a refusal for load says when to retry")
                .isGreaterThanOrEqualTo(Dispatcher.MIN_RETRY_AFTER_MS);
        assertThat(d.onJob(Fixtures.job("u-1", "m", ServiceClass.STANDARD, "u"), 0)).as("another tenant").isEmpty();
        assertThat(d.queued()).isEqualTo(3);
        assertThat(metrics.refused).containsExactly(FailureCode.TENANT_QUEUE_FULL);
    }

    @Test
    void aRedeliveredJobOfATenantAtItsCapIsIgnoredNotRefused() {
        AcceptingWorkers d = dispatcher(1, 100);
        d.onJob(Fixtures.job("t-1", "m", ServiceClass.STANDARD, "t"), 0);

        assertThat(d.onJob(Fixtures.job("t-1", "m", ServiceClass.STANDARD, "t"), 1)).isEmpty();
        assertThat(d.queued()).isEqualTo(1);
    }

    @Test
    void aSaturatedModelShedsTheNewestBatchJobThenStandardAndCriticalOnlyWhenAloneWith503() {
        AcceptingWorkers d = dispatcher(100, 3);
        d.onJob(Fixtures.job("batch-old", "m", ServiceClass.BATCH, "b"), 0);
        d.onJob(Fixtures.job("batch-new", "m", ServiceClass.BATCH, "b"), 1);
        d.onJob(Fixtures.job("standard", "m", ServiceClass.STANDARD, "s"), 2);

        List<String> shed = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            for (Action a : d.onJob(Fixtures.job("critical-" + i, "m", ServiceClass.CRITICAL, "c"), 3 + i)) {
                Action.Fail f = (Action.Fail) a;
                assertThat(f.code()).isEqualTo(FailureCode.OVERLOADED);
                shed.add(f.job().jobId());
            }
        }

        assertThat(shed).containsExactly("batch-new", "batch-old", "standard", "critical-3");
        assertThat(FailureCode.OVERLOADED.status()).isEqualTo(503);
        assertThat(d.queued()).isEqualTo(3);
    }

    @Test
    void aModelUnderItsBoundShedsNothing() {
        AcceptingWorkers d = dispatcher(100, 3);
        for (int i = 0; i < 3; i++) {
            assertThat(d.onJob(Fixtures.job("b-" + i, "m", ServiceClass.BATCH, "b"), i)).isEmpty();
        }
        // the bound is per model: another model's jobs do not count against it
        assertThat(d.onJob(Fixtures.job("other", "m2", ServiceClass.BATCH, "b"), 3)).isEmpty();
    }

    @Test
    void aJobThatWouldWaitPastItsDeadlineIsRefusedAtOnceWithDeadlineUnreachable() {
        AcceptingWorkers d = dispatcher(100, 100);
        d.onHeartbeat(Fixtures.heartbeat("w1", 1, "m"), 0);
        // one finished job measures the model's service time: 1 s
        d.onJob(Fixtures.job("first", "m", ServiceClass.STANDARD, "t"), 0);
        d.onCompletion(JobCompletion.of("first", "w1", JobCompletion.Outcome.FINISHED, 1_000, 10, 16), 1_000);
        d.onHeartbeat(Fixtures.heartbeat("w1", 1, "m"), 1_000);
        // the slot is busy (its job may have just started: up to 1 s) and two of t's jobs wait: a third of t's may
        // start only after 3 s, and end 1 s later (with the default margin, a fifth of a run to spare)
        d.onJob(Fixtures.job("running", "m", ServiceClass.STANDARD, "t"), 1_000);
        d.onJob(Fixtures.job("t-1", "m", ServiceClass.STANDARD, "t", 1, 0, 1_000 + 2_200, 40), 1_000);
        d.onJob(Fixtures.job("t-2", "m", ServiceClass.STANDARD, "t", 1, 0, 1_000 + 3_200, 40), 1_000);

        List<Action> tooShort = d.onJob(Fixtures.job("t-3", "m", ServiceClass.STANDARD, "t", 1, 0, 1_000 + 4_100, 40), 1_000);
        // 3 s of waiting at most, then 1.2 s of its own run and the margin
        List<Action> longEnough = d.onJob(Fixtures.job("t-4", "m", ServiceClass.STANDARD, "t", 1, 0, 1_000 + 4_200, 40), 1_000);
        // another tenant's job may go before t's backlog (fair share): not refused on t's account
        List<Action> otherTenant = d.onJob(Fixtures.job("u-1", "m", ServiceClass.STANDARD, "u", 1, 0, 1_000 + 2_500, 40), 1_000);

        assertThat(failure(tooShort)).isEqualTo(FailureCode.DEADLINE_UNREACHABLE);
        assertThat(longEnough).isEmpty();
        assertThat(otherTenant).isEmpty();
        assertThat(d.queued()).isEqualTo(4);
    }

    @Test
    void aJobOfSeveralChoicesIsRefusedForItsDeadlineWhenTooFewSlotsAreFreeForAllItsChoices() {
        AcceptingWorkers d = dispatcher(100, 100);
        d.onHeartbeat(Fixtures.choicesHeartbeat("w1", 4, "m"), 0);
        d.onJob(Fixtures.job("first", "m", ServiceClass.STANDARD, "t"), 0);
        d.onCompletion(JobCompletion.of("first", "w1", JobCompletion.Outcome.FINISHED, 1_000, 10, 16), 1_000);
        d.onHeartbeat(Fixtures.choicesHeartbeat("w1", 4, "m"), 1_000);
        // the model's jobs take 1 s; three of w1's four slots are busy
        for (int i = 0; i < 3; i++) {
            assertThat(d.onJob(Fixtures.job("running-" + i, "m", ServiceClass.STANDARD, "t"), 1_000)).hasSize(1);
        }

        // 1.3 s to the deadline: time for a run (and its margin) that starts now, not for one that waits a round
        List<Action> twoChoices = d.onJob(Fixtures.choices(Fixtures.job("two", "m", ServiceClass.STANDARD, "u", 1, 0,
                1_000 + 1_300, 40), 2), 1_000);
        List<Action> oneChoice = d.onJob(Fixtures.job("one", "m", ServiceClass.STANDARD, "v", 1, 0, 1_000 + 1_300, 40), 1_000);

        assertThat(failure(twoChoices)).isEqualTo(FailureCode.DEADLINE_UNREACHABLE);
        assertThat(oneChoice).singleElement().isInstanceOf(Action.Assign.class);
    }

    @Test
    void theFreeSlotsOfAWorkerHeldForAnotherModelsJobOfSeveralChoicesDoNotCountAsFree() {
        AcceptingWorkers d = dispatcher(100, 100);
        d.onHeartbeat(Fixtures.choicesHeartbeat("w1", 4, "m", "other"), 0);
        d.onJob(Fixtures.job("first", "m", ServiceClass.STANDARD, "t"), 0);
        d.onCompletion(JobCompletion.of("first", "w1", JobCompletion.Outcome.FINISHED, 1_000, 10, 16), 1_000);
        d.onHeartbeat(Fixtures.choicesHeartbeat("w1", 4, "m", "other"), 1_000);
        // two of w1's four slots busy, and a job of 'other' that needs all four holds w1
        d.onJob(Fixtures.job("o1", "other", ServiceClass.STANDARD, "t"), 1_000);
        d.onJob(Fixtures.job("o2", "other", ServiceClass.STANDARD, "t"), 1_000);
        assertThat(d.onJob(Fixtures.choices(Fixtures.job("wide", "other", ServiceClass.STANDARD, "u"), 4), 1_000)).isEmpty();

        // 1.3 s to its deadline: time for a run that starts now, not for one that waits for w1's slots to come back
        List<Action> actions = d.onJob(Fixtures.job("late", "m", ServiceClass.STANDARD, "v", 1, 0, 1_000 + 1_300, 40), 1_000);

        assertThat(failure(actions)).isEqualTo(FailureCode.DEADLINE_UNREACHABLE);
    }

    @Test
    void aWaitingJobThatCanNoLongerFinishInTimeIsRefusedBeforeItsDeadline() {
        AcceptingWorkers d = dispatcher(100, 100);
        d.onHeartbeat(Fixtures.heartbeat("w1", 1, "m"), 0);
        d.onJob(Fixtures.job("first", "m", ServiceClass.STANDARD, "t"), 0);
        d.onCompletion(JobCompletion.of("first", "w1", JobCompletion.Outcome.FINISHED, 1_000, 10, 16), 1_000);
        // the model's jobs take 1 s; the slot is held, and w waits with 2.2 s to its deadline (just time enough)
        d.onJob(Fixtures.job("running", "m", ServiceClass.STANDARD, "t"), 1_000);
        assertThat(d.onJob(Fixtures.job("w", "m", ServiceClass.STANDARD, "u", 1, 0, 1_000 + 2_200, 40), 1_000)).isEmpty();
        d.onHeartbeat(Fixtures.heartbeat("w1", 1, "m"), 1_500);

        // the running job takes much longer than its model's mean: w could no longer finish in time
        assertThat(d.tick(2_000)).isEmpty();
        List<Action> late = d.tick(2_250);

        assertThat(failure(late)).isEqualTo(FailureCode.DEADLINE_UNREACHABLE);
        assertThat(((Action.Fail) late.get(0)).retryAfterMs()).isNotNull();
        assertThat(d.queued()).isZero();
    }

    @Test
    void beforeAnyJobFinishedNoJobIsRefusedForItsPredictedWait() {
        AcceptingWorkers d = dispatcher(100, 100);
        d.onHeartbeat(Fixtures.heartbeat("w1", 1, "m"), 0);
        for (int i = 0; i < 10; i++) {
            d.onJob(Fixtures.job("t-" + i, "m", ServiceClass.STANDARD, "t"), 0);
        }
        assertThat(d.onJob(Fixtures.job("tight", "m", ServiceClass.STANDARD, "t", 1, 0, 1, 40), 0)).isEmpty();
    }

    @Test
    void backloggedTenantsWithWeightsOneAndTwoGetTokenServiceWithinTenPercentOfOneToTwo() {
        AcceptingWorkers d = dispatcher(1000, 10_000);
        d.onHeartbeat(Fixtures.heartbeat("w1", 2, "m"), 0);
        Map<String, Double> weights = Map.of("light", 1.0, "heavy", 2.0);
        Map<String, InferenceJob> byId = new HashMap<>();
        Map<String, Double> served = new HashMap<>();
        List<String> running = new ArrayList<>();
        int seq = 0;
        long now = 0;
        List<Action> actions = new ArrayList<>();
        for (String tenant : List.of("light", "heavy")) {
            for (int i = 0; i < 4; i++) {
                InferenceJob job = Fixtures.job(tenant + "-" + seq++, "m", ServiceClass.STANDARD, tenant, weights.get(tenant), 0,
                        Long.MAX_VALUE, 40 + 13 * (seq % 9));
                byId.put(job.jobId(), job);
                actions.addAll(d.onJob(job, now));
            }
        }
        for (int step = 0; step < 4000; step++) {
            for (Action a : actions) {
                running.add(((Action.Assign) a).job().jobId());
            }
            // the oldest running job ends with real counts; its tenant sends another (both stay backlogged)
            InferenceJob done = byId.remove(running.remove(0));
            int prompt = (int) Math.ceil(done.messages().get(0).content().length() / 4.0) + step % 5;
            int completion = 1 + (step * 7919) % 100;
            served.merge(done.tenantId(), prompt + 2.0 * completion, Double::sum);
            now += 10;
            actions = new ArrayList<>(d.onCompletion(JobCompletion.of(done.jobId(), "w1", JobCompletion.Outcome.FINISHED, now,
                    prompt, completion), now));
            InferenceJob next = Fixtures.job(done.tenantId() + "-" + seq++, "m", ServiceClass.STANDARD, done.tenantId(),
                    done.weight(), 0, Long.MAX_VALUE, 40 + 13 * (seq % 9));
            byId.put(next.jobId(), next);
            actions.addAll(d.onJob(next, now));
        }

        assertThat(served.get("heavy") / served.get("light")).isBetween(2.0 * 0.9, 2.0 * 1.1);
        assertThat(metrics.charged.get("heavy/completion") + metrics.charged.get("light/completion")).isPositive();
    }

    @Test
    void oneModelsBacklogDoesNotHoldUpAnothersJob() {
        AcceptingWorkers d = dispatcher(1000, 10_000);
        d.onHeartbeat(Fixtures.heartbeat("wa", 1, "a"), 0);
        d.onHeartbeat(Fixtures.heartbeat("wb", 1, "b"), 0);
        for (int i = 0; i < 100; i++) {
            d.onJob(Fixtures.job("a-" + i, "a", ServiceClass.CRITICAL, "t"), 0);
        }

        assertThat(d.onJob(Fixtures.job("b-0", "b", ServiceClass.BATCH, "t"), 1))
                .containsExactly(new Action.Assign(Fixtures.job("b-0", "b", ServiceClass.BATCH, "t"), "wb"));
    }

    @Test
    void modelsSharingAWorkerTakeTurnsForItsSlot() {
        AcceptingWorkers d = dispatcher(1000, 10_000);
        d.onHeartbeat(Fixtures.heartbeat("w", 1, "a", "b"), 0);
        for (int i = 0; i < 3; i++) {
            d.onJob(Fixtures.job("a-" + i, "a", ServiceClass.STANDARD, "t"), 0);
        }
        for (int i = 0; i < 3; i++) {
            d.onJob(Fixtures.job("b-" + i, "b", ServiceClass.STANDARD, "t"), 0);
        }
        List<String> order = new ArrayList<>(List.of("a-0"));
        for (int i = 0; i < 5; i++) {
            Action.Assign next = (Action.Assign) d.onCompletion(order.get(order.size() - 1), i + 1).get(0);
            order.add(next.job().jobId());
        }

        assertThat(order).containsExactly("a-0", "b-0", "a-1", "b-1", "a-2", "b-2");
    }

    @Test
    void onAWorkerServingTwoModelsTheHigherBandGoesFirstWhateverTheModel() {
        AcceptingWorkers d = dispatcher(1000, 10_000);
        d.onHeartbeat(Fixtures.heartbeat("w", 1, "a", "b"), 0);
        d.onJob(Fixtures.job("running", "a", ServiceClass.STANDARD, "t"), 0);
        d.onJob(Fixtures.job("a-batch", "a", ServiceClass.BATCH, "t"), 1);
        d.onJob(Fixtures.job("b-critical-0", "b", ServiceClass.CRITICAL, "t"), 2);
        d.onJob(Fixtures.job("b-critical-1", "b", ServiceClass.CRITICAL, "t"), 2);

        assertThat(d.onCompletion("running", 3))
                .containsExactly(new Action.Assign(Fixtures.job("b-critical-0", "b", ServiceClass.CRITICAL, "t"), "w"));
        assertThat(d.onCompletion("b-critical-0", 4))
                .containsExactly(new Action.Assign(Fixtures.job("b-critical-1", "b", ServiceClass.CRITICAL, "t"), "w"));
        assertThat(d.onCompletion("b-critical-1", 5))
                .containsExactly(new Action.Assign(Fixtures.job("a-batch", "a", ServiceClass.BATCH, "t"), "w"));
    }

    @Test
    void depthWaitAndChargesAreReported() {
        AcceptingWorkers d = dispatcher(1000, 10_000);
        d.onJob(Fixtures.job("j", "m", ServiceClass.STANDARD, "t"), 0);
        assertThat(metrics.depth).containsEntry("m/standard", 1);

        d.onHeartbeat(Fixtures.heartbeat("w", 1, "m"), 250);
        d.onCompletion(JobCompletion.of("j", "w", JobCompletion.Outcome.FINISHED, 900, 12, 7), 900);

        assertThat(metrics.depth).containsEntry("m/standard", 0);
        assertThat(metrics.waits).containsExactly(250L);
        assertThat(metrics.charged).containsEntry("t/prompt", 12L).containsEntry("t/completion", 7L);
    }

    @Test
    void theQueuesShowTheCounterSettledWithRealCounts() {
        AcceptingWorkers d = dispatcher(1000, 10_000);
        d.onHeartbeat(Fixtures.heartbeat("w", 1, "m"), 0);
        d.onJob(Fixtures.job("j", "m", ServiceClass.STANDARD, "t", 2.0, 0, 60_000, 40), 0);
        d.onCompletion(JobCompletion.of("j", "w", JobCompletion.Outcome.FINISHED, 10, 12, 7), 10);

        JobQueue.TenantStatus t = d.queues().get(0).bands().get(ServiceClass.STANDARD.rank()).tenants().get(0);
        // (12 prompt × 1 + 7 completion × 2) / weight 2
        assertThat(t.counter()).isEqualTo(13.0);
        assertThat(t.queued()).isZero();
    }
}
