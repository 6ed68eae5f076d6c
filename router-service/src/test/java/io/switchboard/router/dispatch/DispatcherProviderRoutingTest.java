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
import io.switchboard.schema.event.AssignmentReply;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.Providers;
import io.switchboard.schema.event.WorkerHeartbeat;

/** Local-or-cloud routing through the dispatcher: forced providers, local first, overflow once local is saturated. */
class DispatcherProviderRoutingTest {
    int overflows;

    final Dispatcher d = new Dispatcher(new Placement(List.of(new Placement.WeightedScorer(new LeastLoadedScorer(), 1.0)),
            new Random(1)), 3_000, 10_000, new FlowPolicy(30_000, 1.0, 2.0, 1000, 10_000, 2_000), new FlowMetrics() {
                @Override
                public void overflowedToCloud(String model) {
                    overflows++;
                }
            });

    static WorkerHeartbeat worker(String id, int slots, String provider) {
        WorkerHeartbeat hb = Fixtures.heartbeat(id, slots, "m");
        return new WorkerHeartbeat(hb.v(), id, hb.models(), "openai", slots, slots, 0, List.of(), 0, 1000, null, provider);
    }

    static InferenceJob job(String id, String provider) {
        InferenceJob j = Fixtures.job(id, "m", 0);
        return new InferenceJob(j.v(), id, j.requestId(), j.tenantId(), "m", 0, j.messages(), j.sampling(), j.createdAtMs(),
                j.deadlineAtMs(), j.keyId(), j.serviceClass(), j.weight(), null, provider);
    }

    static String assignedTo(List<Action> actions) {
        return actions.stream().filter(Action.Assign.class::isInstance).map(a -> ((Action.Assign) a).workerId())
                .findFirst().orElse(null);
    }

    @Test
    void automaticRoutingRunsLocallyFirstEvenWithAnIdleCloudWorker() {
        d.onHeartbeat(worker("cloud", 8, Providers.CLOUD), 0);
        d.onHeartbeat(worker("local", 1, Providers.LOCAL), 0);
        assertThat(assignedTo(d.onJob(job("a", null), 0))).isEqualTo("local");
        assertThat(overflows).isZero();
    }

    @Test
    void forcedCloudGoesToTheCloudWithLocalSlotsFree() {
        d.onHeartbeat(worker("cloud", 8, Providers.CLOUD), 0);
        d.onHeartbeat(worker("local", 8, Providers.LOCAL), 0);
        assertThat(assignedTo(d.onJob(job("a", Providers.CLOUD), 0))).isEqualTo("cloud");
    }

    @Test
    void automaticRoutingOverflowsOnceTheLocalQueueWaitsBeyondTheBound() {
        d.onHeartbeat(worker("local", 1, Providers.LOCAL), 0);
        // measure the model's service time: one job of 3 s
        assertThat(assignedTo(d.onJob(job("first", null), 0))).isEqualTo("local");
        d.onCompletion("first", 3_000);
        d.onHeartbeat(worker("cloud", 4, Providers.CLOUD), 3_000);
        assertThat(assignedTo(d.onJob(job("busy", null), 3_000))).isEqualTo("local");
        // the local slot is taken and a 3 s job is ahead: beyond the 2 s bound, so the next may go to the cloud
        assertThat(assignedTo(d.onJob(job("overflow", null), 3_000))).isEqualTo("cloud");
        assertThat(overflows).isEqualTo(1);
        // forced local waits for its own kind instead
        assertThat(assignedTo(d.onJob(job("patient", Providers.LOCAL), 3_000))).isNull();
    }

    @Test
    void forcedProviderThatServesNothingIsRefusedAtOnce() {
        d.onHeartbeat(worker("cloud", 4, Providers.CLOUD), 0);
        List<Action> actions = d.onJob(job("a", Providers.LOCAL), 0);
        assertThat(actions).singleElement().isInstanceOfSatisfying(Action.Fail.class,
                f -> assertThat(f.code()).isEqualTo(FailureCode.NO_WORKER_AVAILABLE));
    }

    @Test
    void aJobLocalWorkersCannotRunOverflowsToACloudWorkerThatCan() {
        d.onHeartbeat(worker("local", 8, Providers.LOCAL), 0); // text only
        WorkerHeartbeat hb = worker("cloud", 4, Providers.CLOUD);
        d.onHeartbeat(new WorkerHeartbeat(hb.v(), "cloud", hb.models(), "openai", 4, 4, 0, List.of(), 0, 1000,
                new io.switchboard.schema.event.EngineCapabilities(List.of(), 0, 8,
                        java.util.Set.of(io.switchboard.schema.event.Feature.N), true), Providers.CLOUD), 0);
        InferenceJob plain = job("two", null);
        InferenceJob twoChoices = plain.withOptions(new io.switchboard.schema.event.GenerationOptions(2, false, null, null,
                null, null, null, null));
        assertThat(assignedTo(d.onJob(twoChoices, 0))).isEqualTo("cloud");
    }

    static JobCompletion handedBack(String jobId, String workerId, long nowMs) {
        return JobCompletion.handedBack(job(jobId, null), workerId, nowMs, 0, FailureCode.ENGINE_UNAVAILABLE.wire(),
                "The engine refused the connection.");
    }

    @Test
    void aJobALocalEngineGaveBackBeforeItsFirstTokenRunsInTheCloud() {
        d.onHeartbeat(worker("local", 4, Providers.LOCAL), 0);
        d.onHeartbeat(worker("cloud", 4, Providers.CLOUD), 0);
        assertThat(assignedTo(d.onJob(job("a", null), 0))).isEqualTo("local");
        d.onReply(AssignmentReply.of("a", "local", AssignmentReply.Verdict.ACCEPTED, null, 1), 1);

        List<Action> next = d.onCompletion(handedBack("a", "local", 2), 2);

        // written to Kafka again (its first record was settled when the local worker took it), then sent to the cloud
        assertThat(next).hasSize(2);
        assertThat(next.get(0)).isInstanceOfSatisfying(Action.Republish.class,
                r -> assertThat(r.job().provider()).isEqualTo(Providers.CLOUD));
        assertThat(next.get(1)).isInstanceOfSatisfying(Action.Assign.class, a -> {
            assertThat(a.workerId()).isEqualTo("cloud");
            assertThat(a.job().provider()).isEqualTo(Providers.CLOUD);
        });
        // the local worker's slot is free again, and a heartbeat it sent before giving the job back adopts nothing
        assertThat(d.workers()).filteredOn(w -> w.workerId().equals("local"))
                .singleElement().satisfies(w -> assertThat(w.freeSlots()).isEqualTo(4));
        WorkerHeartbeat stale = worker("local", 4, Providers.LOCAL);
        d.onHeartbeat(new WorkerHeartbeat(stale.v(), "local", stale.models(), "openai", 4, 4, 0, List.of("a"), 0, 1000,
                null, Providers.LOCAL), 3);
        assertThat(d.workers()).filteredOn(w -> w.workerId().equals("local"))
                .singleElement().satisfies(w -> assertThat(w.freeSlots()).isEqualTo(4));
    }

    @Test
    void aJobALocalEngineGaveBackEndsWithTheEnginesFailureWhenNoCloudWorkerCanRunIt() {
        d.onHeartbeat(worker("local", 4, Providers.LOCAL), 0);
        d.onJob(job("a", null), 0);
        d.onReply(AssignmentReply.of("a", "local", AssignmentReply.Verdict.ACCEPTED, null, 1), 1);

        List<Action> next = d.onCompletion(handedBack("a", "local", 2), 2);

        assertThat(next).singleElement().isInstanceOfSatisfying(Action.Fail.class, f -> {
            assertThat(f.code()).isEqualTo(FailureCode.ENGINE_UNAVAILABLE);
            assertThat(f.message()).isEqualTo("The engine refused the connection.");
        });
    }

    @Test
    void aJobAdoptedFromHeartbeatsThatIsHandedBackRunsInTheCloudFromTheJobTheHandBackCarries() {
        WorkerHeartbeat local = worker("local", 4, Providers.LOCAL);
        // after a takeover: this router knows the job only as one the local worker lists
        d.onHeartbeat(new WorkerHeartbeat(local.v(), "local", local.models(), "openai", 4, 3, 0, List.of("a"), 0, 1000,
                null, Providers.LOCAL), 0);
        d.onHeartbeat(worker("cloud", 4, Providers.CLOUD), 0);

        List<Action> next = d.onCompletion(handedBack("a", "local", 2), 2);

        assertThat(next).filteredOn(Action.Assign.class::isInstance).singleElement()
                .isInstanceOfSatisfying(Action.Assign.class, a -> {
                    assertThat(a.workerId()).isEqualTo("cloud");
                    assertThat(a.job().jobId()).isEqualTo("a");
                });
    }

    @Test
    void aStandbyOnlyForgetsAHandedBackJobAndPutsNothingInLine() {
        d.acting(false);
        WorkerHeartbeat local = worker("local", 4, Providers.LOCAL);
        d.onHeartbeat(new WorkerHeartbeat(local.v(), "local", local.models(), "openai", 4, 3, 0, List.of("a"), 0, 1000,
                null, Providers.LOCAL), 0);
        d.onHeartbeat(worker("cloud", 4, Providers.CLOUD), 0);

        assertThat(d.onCompletion(handedBack("a", "local", 2), 2)).isEmpty();

        // nothing to orphan once it is elected: it assigned nothing it could not send
        assertThat(d.queued()).isZero();
        assertThat(d.runningCount()).isZero();
    }
}
