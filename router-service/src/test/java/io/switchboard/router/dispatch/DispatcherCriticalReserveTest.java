package io.switchboard.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.switchboard.router.Fixtures;
import io.switchboard.router.admission.FlowMetrics;
import io.switchboard.router.admission.FlowPolicy;
import io.switchboard.router.scheduling.LeastLoadedScorer;
import io.switchboard.router.scheduling.Placement;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.ServiceClass;

/** The slots held back for critical jobs, through the dispatcher: batch waits, a critical job finds a slot at once. */
class DispatcherCriticalReserveTest {
    final Dispatcher d = new Dispatcher(new Placement(List.of(new Placement.WeightedScorer(new LeastLoadedScorer(), 1.0)),
            new Random(1)), 3_000, 10_000, new FlowPolicy(30_000, 1.0, 2.0, 1000, 10_000, 2_000, 0.25, 10_000),
            FlowMetrics.NONE);

    static long assigned(List<Action> actions) {
        return actions.stream().filter(Action.Assign.class::isInstance).count();
    }

    @Test
    void withoutCriticalTrafficBatchTakesEverySlot() {
        d.onHeartbeat(Fixtures.heartbeat("w", 4, "m"), 0);
        long n = 0;
        for (int i = 0; i < 4; i++) {
            n += assigned(d.onJob(Fixtures.job("b" + i, "m", ServiceClass.BATCH, "batch"), 0));
        }
        assertThat(n).isEqualTo(4);
    }

    @Test
    void afterACriticalJobBatchLeavesTheReservedSlotFreeAndTheNextCriticalJobGetsIt() {
        d.onHeartbeat(Fixtures.heartbeat("w", 4, "m"), 0);
        assertThat(assigned(d.onJob(Fixtures.job("c0", "m", ServiceClass.CRITICAL, "crit"), 0))).isOne();
        d.onCompletion("c0", 100);
        long batch = 0;
        for (int i = 0; i < 4; i++) {
            batch += assigned(d.onJob(Fixtures.job("b" + i, "m", ServiceClass.BATCH, "batch"), 200));
        }
        assertThat(batch).as("one of four slots (25%) kept").isEqualTo(3);
        assertThat(assigned(d.onJob(Fixtures.job("c1", "m", ServiceClass.CRITICAL, "crit"), 300))).isOne();
    }

    @Test
    void aSlotHeldBackForCriticalJobsDoesNotCountAsFreeForALowerBandsDeadline() {
        d.onHeartbeat(Fixtures.heartbeat("w", 4, "m"), 0);
        d.onJob(Fixtures.job("c0", "m", ServiceClass.CRITICAL, "crit"), 0);
        d.onCompletion("c0", 100); // the model's jobs take 100 ms
        for (int i = 0; i < 3; i++) {
            d.onJob(Fixtures.job("b" + i, "m", ServiceClass.BATCH, "batch"), 200);
        }
        // one slot is free, but held back: a batch job waits for a busy one (up to 100 ms), then runs 100 ms (+20%)
        List<Action> batch = d.onJob(Fixtures.job("b3", "m", ServiceClass.BATCH, "batch", 1.0, 0, 200 + 150, 40), 200);
        List<Action> critical = d.onJob(Fixtures.job("c1", "m", ServiceClass.CRITICAL, "crit", 1.0, 0, 200 + 150, 40), 200);

        assertThat(DispatcherFlowControlTest.failure(batch)).isEqualTo(FailureCode.DEADLINE_UNREACHABLE);
        assertThat(assigned(critical)).as("the critical job takes the held-back slot at once").isOne();
    }

    @Test
    void theReserveLapsesAWindowAfterTheLastCriticalJob() {
        d.onHeartbeat(Fixtures.heartbeat("w", 4, "m"), 0);
        d.onJob(Fixtures.job("c0", "m", ServiceClass.CRITICAL, "crit"), 0);
        d.onCompletion("c0", 100);
        d.onHeartbeat(Fixtures.heartbeat("w", 4, "m"), 11_000);
        long batch = 0;
        for (int i = 0; i < 4; i++) {
            batch += assigned(d.onJob(Fixtures.job("b" + i, "m", ServiceClass.BATCH, "batch"), 11_000));
        }
        assertThat(batch).isEqualTo(4);
    }
}
