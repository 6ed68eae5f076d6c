package io.switchboard.router.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.switchboard.router.Fixtures;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.ServiceClass;

/** Flow control's order, driven through the pure queue: each {@link #drain} takes jobs as dispatch would. */
class JobQueueTest {
    static final FlowPolicy POLICY = new FlowPolicy(30_000, 1.0, 2.0, 1000, 10_000);

    final JobQueue q = new JobQueue(POLICY, FlowMetrics.NONE);

    /** Takes every waiting job of model {@code m} at {@code nowMs}, in dispatch order (charging prompts as dispatch does). */
    List<String> drain(String model, long nowMs) {
        List<String> order = new ArrayList<>();
        for (var next = q.peek(model, nowMs); next.isPresent(); next = q.peek(model, nowMs)) {
            q.take(next.get());
            order.add(next.get().job().jobId());
        }
        return order;
    }

    @Test
    void lowerPriorityValueGoesFirstThenArrivalOrder() {
        q.add(Fixtures.job("late-normal", "m", 0), 0);
        q.add(Fixtures.job("urgent", "m", -5), 1);
        q.add(Fixtures.job("batch", "m", 10), 2);
        q.add(Fixtures.job("later-normal", "m", 0), 3);

        assertThat(drain("m", 4)).containsExactly("urgent", "late-normal", "later-normal", "batch");
    }

    @Test
    void bandsAreStrictWhateverThePriority() {
        q.add(Fixtures.job("batch-eager", "m", ServiceClass.BATCH, -100), 0);
        q.add(Fixtures.job("standard-lax", "m", ServiceClass.STANDARD, 100), 1);

        assertThat(drain("m", 2)).containsExactly("standard-lax", "batch-eager");
    }

    @Test
    void criticalGoesFirstThenStandardThenBatchEachByPriorityThenArrival() {
        q.add(Fixtures.job("batch", "m", ServiceClass.BATCH, 0), 0);
        q.add(Fixtures.job("standard-late", "m", ServiceClass.STANDARD, 0), 1);
        q.add(Fixtures.job("critical-lax", "m", ServiceClass.CRITICAL, 50), 2);
        q.add(Fixtures.job("standard-urgent", "m", ServiceClass.STANDARD, -10), 3);
        q.add(Fixtures.job("critical", "m", ServiceClass.CRITICAL, 0), 4);
        q.add(Fixtures.job("standard-later", "m", ServiceClass.STANDARD, 0), 5);

        assertThat(drain("m", 6)).containsExactly(
                "critical", "critical-lax", "standard-urgent", "standard-late", "standard-later", "batch");
    }

    @Test
    void withinATenantPriorityThenEarliestDeadlineThenArrival() {
        q.add(Fixtures.job("late-deadline", "m", ServiceClass.STANDARD, "t", 1, 0, 50_000, 40), 0);
        q.add(Fixtures.job("first-of-two", "m", ServiceClass.STANDARD, "t", 1, 0, 20_000, 40), 1);
        q.add(Fixtures.job("urgent-lax", "m", ServiceClass.STANDARD, "t", 1, -1, 90_000, 40), 2);
        q.add(Fixtures.job("second-of-two", "m", ServiceClass.STANDARD, "t", 1, 0, 20_000, 40), 3);

        assertThat(drain("m", 4)).containsExactly("urgent-lax", "first-of-two", "second-of-two", "late-deadline");
    }

    @Test
    void oneModelsBacklogDoesNotStandBeforeAnothersJob() {
        for (int i = 0; i < 100; i++) {
            q.add(Fixtures.job("a" + i, "model-a", ServiceClass.CRITICAL, -100), i);
        }
        q.add(Fixtures.job("b", "model-b", ServiceClass.BATCH, 100), 100);

        assertThat(q.peek("model-b", 101)).map(w -> w.job().jobId()).contains("b");
        assertThat(q.modelsWaiting()).containsExactly("model-a", "model-b");
        assertThat(q.size("model-a")).isEqualTo(100);
    }

    @Test
    void aBatchJobThatWaitedTheMaximumIsServedAsStandard() {
        q.add(Fixtures.job("old-batch", "m", ServiceClass.BATCH, "bulk"), 0);
        for (int i = 0; i < 5; i++) {
            q.add(Fixtures.job("standard-" + i, "m", ServiceClass.STANDARD, "interactive"), 1);
        }
        // before its maximum wait, the standard band goes strictly first
        assertThat(q.peek("m", POLICY.batchMaxWaitMs() - 1)).map(w -> w.job().jobId()).contains("standard-0");
        q.take(q.peek("m", POLICY.batchMaxWaitMs() - 1).orElseThrow());

        // after it, the batch job competes in the standard band by fair share: it goes before the standard backlog drains
        List<String> rest = drain("m", POLICY.batchMaxWaitMs());
        assertThat(rest.indexOf("old-batch")).isBetween(0, 1);
        assertThat(q.counterOf("m", ServiceClass.STANDARD, "bulk")).isPositive();
    }

    @Test
    void aYoungBatchJobStaysBehindStandard() {
        q.add(Fixtures.job("batch", "m", ServiceClass.BATCH, "bulk"), 0);
        q.add(Fixtures.job("standard", "m", ServiceClass.STANDARD, "interactive"), 0);
        q.age(POLICY.batchMaxWaitMs() - 1);

        assertThat(q.depths("m")).containsExactly(0, 1, 1);
        assertThat(drain("m", POLICY.batchMaxWaitMs() - 1)).containsExactly("standard", "batch");
    }

    @Test
    void theBackloggedTenantWithTheLowestCounterGoesNext() {
        // "a" sends one 100-token prompt, then small ones; "b" only 10-token prompts: after a's big one, b goes until it
        // has caught up with a's 100
        q.add(Fixtures.job("a-0", "m", ServiceClass.STANDARD, "a", 1, 0, 60_000, 400), 0);
        for (int i = 1; i < 4; i++) {
            q.add(Fixtures.job("a-" + i, "m", ServiceClass.STANDARD, "a"), 0);
        }
        for (int i = 0; i < 12; i++) {
            q.add(Fixtures.job("b-" + i, "m", ServiceClass.STANDARD, "b"), 0);
        }

        assertThat(drain("m", 1)).startsWith("a-0", "b-0", "b-1", "b-2", "b-3", "b-4", "b-5", "b-6", "b-7", "b-8", "b-9",
                "a-1");
    }

    @Test
    void aTenantBackFromIdleIsLiftedToTheLowestBackloggedCounterNotBanked() {
        // "steady" is served 50 jobs of 10 tokens alone while "returning" is idle
        for (int i = 0; i < 50; i++) {
            q.add(Fixtures.job("steady-" + i, "m", ServiceClass.STANDARD, "steady"), i);
        }
        List<String> first = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Queued next = q.peek("m", 100).orElseThrow();
            q.take(next);
            first.add(next.job().jobId());
        }
        double steady = q.counterOf("m", ServiceClass.STANDARD, "steady");
        assertThat(steady).isEqualTo(400.0);

        for (int i = 0; i < 10; i++) {
            q.add(Fixtures.job("returning-" + i, "m", ServiceClass.STANDARD, "returning"), 101);
        }

        assertThat(q.counterOf("m", ServiceClass.STANDARD, "returning")).isEqualTo(steady);
        // the two now alternate: returning does not get its 40 idle jobs' worth in one burst
        List<String> next10 = drain("m", 102).subList(0, 10);
        assertThat(next10.stream().filter(id -> id.startsWith("returning"))).hasSize(5);
    }

    @Test
    void aTenantAloneInAnEmptyBandStartsAtTheLastServedCounter() {
        q.add(Fixtures.job("a-0", "m", ServiceClass.STANDARD, "a"), 0);
        q.add(Fixtures.job("a-1", "m", ServiceClass.STANDARD, "a"), 0);
        drain("m", 1);
        // the band is empty; "b" comes from idle: it starts where service stands (a's 10 when a was last picked)
        q.add(Fixtures.job("b-0", "m", ServiceClass.STANDARD, "b"), 2);

        assertThat(q.counterOf("m", ServiceClass.STANDARD, "b")).isEqualTo(10.0);
    }

    @Test
    void weightedTenantsReceiveTokenServiceInProportionToTheirWeights() {
        // both tenants stay backlogged; jobs of varied sizes; service = prompt + 2 × completion, settled at the end of each job
        Map<String, Double> served = new HashMap<>();
        Map<String, Double> weight = Map.of("w1", 1.0, "w2", 2.0);
        int seq = 0;
        for (String t : weight.keySet()) {
            for (int i = 0; i < 5; i++) {
                q.add(Fixtures.job(t + "-" + seq++, "m", ServiceClass.STANDARD, t, weight.get(t), 0, 1_000_000, 40 + 37 * (seq % 7)), 0);
            }
        }
        for (int i = 0; i < 3000; i++) {
            Queued next = q.peek("m", i).orElseThrow();
            q.take(next);
            InferenceJob job = next.job();
            int prompt = (int) next.estimatedPromptTokens() + (i % 3);
            int completion = 5 + (i * 7919) % 60;
            q.settle("m", next.band(), job.tenantId(), job.weight(), next.estimatedPromptTokens(), prompt, completion);
            served.merge(job.tenantId(), prompt * 1.0 + completion * 2.0, Double::sum);
            q.add(Fixtures.job(job.tenantId() + "-" + seq++, "m", ServiceClass.STANDARD, job.tenantId(), job.weight(), 0,
                    1_000_000, 40 + 37 * (seq % 7)), i);
        }
        double ratio = served.get("w2") / served.get("w1");
        assertThat(ratio).isBetween(2.0 * 0.9, 2.0 * 1.1);
    }

    @Test
    void redeliveredJobIsQueuedOnce() {
        assertThat(q.add(Fixtures.job("a", "m", 0), 0)).isPresent();
        assertThat(q.add(Fixtures.job("a", "m", 0), 1)).isEmpty();
        assertThat(q.size()).isEqualTo(1);
    }

    @Test
    void removedJobLeavesTheQueue() {
        q.add(Fixtures.job("a", "m", 0), 0);
        q.add(Fixtures.job("b", "m", 0), 0);
        assertThat(q.remove("a")).map(InferenceJob::jobId).contains("a");
        assertThat(drain("m", 1)).containsExactly("b");
        assertThat(q.remove("a")).isEmpty();
    }

    @Test
    void cancellingATenantsLastJobTakesTheTenantOutOfTheRunning() {
        q.add(Fixtures.job("x-0", "m", ServiceClass.STANDARD, "x"), 0);
        q.add(Fixtures.job("y-0", "m", ServiceClass.STANDARD, "y"), 0);
        q.remove("x-0");

        assertThat(q.peek("m", 1)).map(w -> w.job().jobId()).contains("y-0");
        assertThat(q.queuedOf("x")).isZero();
        assertThat(q.depths("m")).containsExactly(0, 1, 0);
    }

    @Test
    void removalsFromALargeQueueKeepEveryIndexConsistent() {
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            ServiceClass band = ServiceClass.values()[i % 3];
            q.add(Fixtures.job("j" + i, "m", band, "t" + (i % 17), 1, i % 5, 100_000 + i, 40), i);
        }
        // cancel every other job, from the middle of every tenant's and band's order
        for (int i = 0; i < n; i += 2) {
            assertThat(q.remove("j" + i)).isPresent();
        }
        assertThat(q.size()).isEqualTo(n / 2);
        assertThat(q.size("m")).isEqualTo(n / 2);
        int[] depths = q.depths("m");
        assertThat(depths[0] + depths[1] + depths[2]).isEqualTo(n / 2);
        assertThat(q.expire(100_000 + n)).hasSize(n / 2).allMatch(j -> Integer.parseInt(j.jobId().substring(1)) % 2 == 1);
        assertThat(q.size()).isZero();
        assertThat(q.peek("m", n)).isEmpty();
    }

    @Test
    void expiryTakesOnlyJobsPastTheirDeadlineEarliestFirst() {
        q.add(Fixtures.job("later", "m", 0, 2_000), 0);
        q.add(Fixtures.job("soon", "m", 0, 1_000), 0);
        q.add(Fixtures.job("far", "m", 0, 9_000), 0);

        assertThat(q.expire(2_000)).extracting(InferenceJob::jobId).containsExactly("soon", "later");
        assertThat(q.size()).isEqualTo(1);
    }

    @Test
    void slotsAheadCountHigherBandsAndTheTenantsOwnEarlierJobsOnly() {
        q.add(Fixtures.job("c", "m", ServiceClass.CRITICAL, "crit"), 0);
        q.add(Fixtures.job("s-other", "m", ServiceClass.STANDARD, "other"), 0);
        q.add(Fixtures.job("s-own-1", "m", ServiceClass.STANDARD, "own"), 0);
        q.add(Fixtures.job("s-own-2", "m", ServiceClass.STANDARD, "own"), 0);
        q.add(Fixtures.job("b", "m", ServiceClass.BATCH, "bulk"), 0);

        assertThat(q.slotsAheadOf(Fixtures.job("new", "m", ServiceClass.STANDARD, "own"))).isEqualTo(3);
        assertThat(q.slotsAheadOf(Fixtures.job("new", "m", ServiceClass.STANDARD, "newcomer"))).isEqualTo(1);
        assertThat(q.slotsAheadOf(Fixtures.job("new", "m", ServiceClass.STANDARD, "own", 1, -1, 60_000, 40))).isEqualTo(1);
        assertThat(q.slotsAheadOf(Fixtures.job("new", "m", ServiceClass.CRITICAL, "crit2"))).isZero();
        // a batch job may age past standard: only critical is certainly ahead (plus its own tenant's)
        assertThat(q.slotsAheadOf(Fixtures.job("new", "m", ServiceClass.BATCH, "bulk"))).isEqualTo(2);
    }

    @Test
    void aJobOfSeveralChoicesCountsASlotForEachUntilItLeaves() {
        q.add(Fixtures.choices(Fixtures.job("c", "m", ServiceClass.CRITICAL, "crit"), 4), 0);
        q.add(Fixtures.choices(Fixtures.job("s-own", "m", ServiceClass.STANDARD, "own"), 3), 0);

        assertThat(q.slotsAheadOf(Fixtures.job("new", "m", ServiceClass.STANDARD, "own"))).isEqualTo(7);
        assertThat(q.slotsAheadOf(Fixtures.job("new", "m", ServiceClass.STANDARD, "newcomer"))).isEqualTo(4);

        q.remove("c");
        assertThat(q.slotsAheadOf(Fixtures.job("new", "m", ServiceClass.STANDARD, "own"))).isEqualTo(3);
        assertThat(q.slotsAheadOf(Fixtures.job("new", "m", ServiceClass.STANDARD, "newcomer"))).isZero();
    }

    @Test
    void statusShowsEveryModelBandAndTenantWithDepthAndCounter() {
        q.add(Fixtures.job("a", "m", ServiceClass.STANDARD, "t1"), 0);
        q.add(Fixtures.job("b", "m", ServiceClass.STANDARD, "t2"), 0);
        q.take(q.peek("m", 0).orElseThrow());

        JobQueue.PoolStatus pool = q.status().get(0);
        assertThat(pool.model()).isEqualTo("m");
        assertThat(pool.queued()).isEqualTo(1);
        JobQueue.BandStatus standard = pool.bands().get(ServiceClass.STANDARD.rank());
        assertThat(standard.band()).isEqualTo("standard");
        assertThat(standard.tenants()).containsExactly(new JobQueue.TenantStatus("t1", 0, 10.0, 1.0),
                new JobQueue.TenantStatus("t2", 1, 0.0, 1.0));
    }
}
