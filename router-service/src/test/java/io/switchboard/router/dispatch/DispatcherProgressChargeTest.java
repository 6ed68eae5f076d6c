package io.switchboard.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

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
import io.switchboard.schema.event.AssignmentReply;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.ServiceClass;
import io.switchboard.schema.event.WorkerHeartbeat;

/** Fair share charged as jobs generate (heartbeats' progress), not only when they end; never twice. */
class DispatcherProgressChargeTest {
    final Dispatcher d = new Dispatcher(new Placement(List.of(new Placement.WeightedScorer(new LeastLoadedScorer(), 1.0)),
            new Random(1)), 3_000, 10_000, FlowPolicy.DEFAULTS, FlowMetrics.NONE);

    static WorkerHeartbeat progress(String jobId, int generated) {
        return new WorkerHeartbeat(2, "w", List.of("m"), "llama", 1, 0, 0, List.of(jobId), 0, 1000, null, null,
                Map.of(jobId, generated));
    }

    double counterOf(String tenant) {
        return d.queues().stream().flatMap(p -> p.bands().stream()).flatMap(b -> b.tenants().stream())
                .filter(t -> t.tenant().equals(tenant)).mapToDouble(JobQueue.TenantStatus::counter).findFirst().orElse(0);
    }

    @Test
    void aLongGenerationChargesItsTenantWhileItRunsAndItsEndOnlyTheRest() {
        d.onHeartbeat(Fixtures.heartbeat("w", 1, "m"), 0);
        d.onJob(Fixtures.job("long", "m", ServiceClass.STANDARD, "a"), 0);
        d.onReply(AssignmentReply.of("long", "w", AssignmentReply.Verdict.ACCEPTED, null, 1), 1);
        d.onJob(Fixtures.job("waiting", "m", ServiceClass.STANDARD, "b"), 2);
        double atDispatch = counterOf("a");

        d.onHeartbeat(progress("long", 100), 1_000);
        assertThat(counterOf("a") - atDispatch).as("100 tokens x completion weight 2").isEqualTo(200.0);
        d.onHeartbeat(progress("long", 150), 2_000);
        d.onHeartbeat(progress("long", 150), 3_000);
        assertThat(counterOf("a") - atDispatch).as("only what is new is charged").isEqualTo(300.0);

        d.onCompletion(JobCompletion.of("long", "w", JobCompletion.Outcome.FINISHED, 4_000, 10, 160), 4_000);
        // the fixture's prompt is estimated at its real 10 tokens, so only the 10 completion tokens not reported remain
        assertThat(counterOf("a") - atDispatch).as("the end charges the 10 tokens not reported yet").isEqualTo(320.0);
    }
}
