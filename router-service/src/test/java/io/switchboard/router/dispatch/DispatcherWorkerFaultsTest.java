package io.switchboard.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.switchboard.router.Fixtures;
import io.switchboard.router.scheduling.LeastLoadedScorer;
import io.switchboard.router.scheduling.Placement;
import io.switchboard.schema.event.AssignmentReply;
import io.switchboard.schema.event.AssignmentReply.Verdict;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.WorkerHeartbeat;
import io.switchboard.schema.wire.JobOwners;

/**
 * What the router decides when workers answer, fail or disagree with it: capacity is the worker's word (a refused
 * assignment goes back in line), a job is settled (its Kafka record committable) only once its fate is decided, and a
 * job a worker lost is taken back, never silently forgotten.
 */
class DispatcherWorkerFaultsTest {
    static final long WORKER_TIMEOUT = 3_000;
    static final long REPLY_TIMEOUT = 5_000;

    final Dispatcher d = new Dispatcher(new Placement(List.of(new Placement.WeightedScorer(new LeastLoadedScorer(), 1)),
            new Random(1)), WORKER_TIMEOUT, 10_000, io.switchboard.router.admission.FlowPolicy.DEFAULTS,
            io.switchboard.router.admission.FlowMetrics.NONE, 0, REPLY_TIMEOUT);

    static WorkerHeartbeat running(String worker, int slots, String... jobs) {
        return new WorkerHeartbeat(WorkerHeartbeat.VERSION, worker, List.of("m"), "llama", slots, slots, 0, List.of(jobs), 0,
                1000);
    }

    static AssignmentReply reply(String job, String worker, Verdict verdict) {
        return AssignmentReply.of(job, worker, verdict, verdict == Verdict.CLAIMED ? JobOwners.abandoned("publish_failed") : null,
                0);
    }

    @Test
    void aJobIsSettledWhenItsWorkerAcceptsItNotWhenItIsAssigned() {
        d.onHeartbeat(running("w1", 1), 0);
        assertThat(d.onJob(Fixtures.job("a", "m", 0), 1)).containsExactly(new Action.Assign(Fixtures.job("a", "m", 0), "w1"));

        assertThat(d.onReply(reply("a", "w1", Verdict.ACCEPTED), 2)).containsExactly(new Action.Settle("a"));
    }

    @Test
    void aJobRefusedForWantOfASlotGoesBackInLineAheadOfLaterJobsAndToAnotherWorker() {
        d.onHeartbeat(running("w1", 1), 0);
        d.onJob(Fixtures.job("first", "m", 0), 1);
        d.onJob(Fixtures.job("second", "m", 0), 2);

        // w1 had no room after all; the router gives it nothing more until its next heartbeat
        assertThat(d.onReply(reply("first", "w1", Verdict.FULL), 3)).isEmpty();
        assertThat(d.queued()).isEqualTo(2);
        List<Action> onW2 = d.onHeartbeat(running("w2", 1), 4);

        assertThat(onW2).containsExactly(new Action.Assign(Fixtures.job("first", "m", 0), "w2"));
    }

    @Test
    void aJobSomeoneElseOwnsIsLetGoAndSettledWithoutRunningHere() {
        d.onHeartbeat(running("w1", 1), 0);
        d.onJob(Fixtures.job("a", "m", 0), 1);
        d.onJob(Fixtures.job("b", "m", 0), 2);

        List<Action> actions = d.onReply(reply("a", "w1", Verdict.CLAIMED), 3);

        assertThat(actions).containsExactly(new Action.Settle("a"), new Action.Assign(Fixtures.job("b", "m", 0), "w1"));
        assertThat(d.onJob(Fixtures.job("a", "m", 0), 4)).containsExactly(new Action.Settle("a"));
    }

    @Test
    void aCompletionThatOvertakesTheAcceptanceStillSettlesTheJob() {
        d.onHeartbeat(running("w1", 1), 0);
        d.onJob(Fixtures.job("a", "m", 0), 1);

        assertThat(d.onCompletion(JobCompletion.of("a", "w1", JobCompletion.Outcome.FINISHED, 2), 2))
                .contains(new Action.Settle("a"));
        assertThat(d.onReply(reply("a", "w1", Verdict.ACCEPTED), 3)).containsExactly(new Action.Settle("a"));
        assertThat(d.runningCount()).isZero();
    }

    @Test
    void aSilentWorkersJobsAreTakenBackNotFailedOutright() {
        d.onHeartbeat(running("w1", 2), 0);
        d.onJob(Fixtures.job("j", "m", 0), 1);
        d.onReply(reply("j", "w1", Verdict.ACCEPTED), 2);

        assertThat(d.tick(WORKER_TIMEOUT)).isEmpty();
        List<Action> actions = d.tick(WORKER_TIMEOUT + 1);

        assertThat(actions).singleElement().isInstanceOfSatisfying(Action.Orphan.class, o -> {
            assertThat(o.jobId()).isEqualTo("j");
            assertThat(o.workerId()).isEqualTo("w1");
            assertThat(o.job()).isEqualTo(Fixtures.job("j", "m", 0));
        });
        assertThat(d.workers()).isEmpty();
        assertThat(d.runningCount()).isZero();
    }

    /** Job j, accepted by w1 (one slot), taken back when w1 goes silent: the orphan to end. */
    Action.Orphan acceptedThenTakenBack() {
        d.onHeartbeat(running("w1", 1), 0);
        d.onJob(Fixtures.job("j", "m", 0), 1);
        d.onReply(reply("j", "w1", Verdict.ACCEPTED), 2);
        return (Action.Orphan) d.tick(WORKER_TIMEOUT + 10).get(0);
    }

    @Test
    void aTakenBackJobThatSentNothingRunsOnAnotherWorkerAndIsWrittenToKafkaAgain() {
        Action.Orphan orphan = acceptedThenTakenBack();
        d.onHeartbeat(running("w2", 1), WORKER_TIMEOUT + 20);

        // its first record was settled when w1 took it: a router taking over now would not know it otherwise
        assertThat(d.onOrphanRequeued(orphan, WORKER_TIMEOUT + 30)).containsExactly(
                new Action.Republish(Fixtures.job("j", "m", 0)), new Action.Assign(Fixtures.job("j", "m", 0), "w2"));
    }

    @Test
    void theSecondRecordOfAJobBackInLineThatEndedMeanwhileIsSettledNotRun() {
        Action.Orphan orphan = acceptedThenTakenBack();
        d.onOrphanRequeued(orphan, WORKER_TIMEOUT + 30); // no worker left: it waits
        assertThat(d.onCancel("j", "client_disconnected", WORKER_TIMEOUT + 40)).singleElement()
                .isInstanceOf(Action.Drop.class);

        assertThat(d.onJob(Fixtures.job("j", "m", 0), WORKER_TIMEOUT + 50)).containsExactly(new Action.Settle("j"));
        assertThat(d.queued()).isZero();
    }

    @Test
    void theRecordOfAJobBackInLineIsSettledOnceTheJobIsTakenAgain() {
        Action.Orphan orphan = acceptedThenTakenBack();
        d.onOrphanRequeued(orphan, WORKER_TIMEOUT + 30);

        // its second record comes while it waits: nothing to do yet (the record stays open)
        assertThat(d.onJob(Fixtures.job("j", "m", 0), WORKER_TIMEOUT + 40)).isEmpty();
        d.onHeartbeat(running("w2", 1), WORKER_TIMEOUT + 50);
        assertThat(d.onReply(reply("j", "w2", Verdict.ACCEPTED), WORKER_TIMEOUT + 60))
                .containsExactly(new Action.Settle("j"));
    }

    @Test
    void anAcceptedJobItsWorkerStopsListingWithoutACompletionIsTakenBackAfterTwoHeartbeats() {
        d.onHeartbeat(running("w1", 1), 0);
        d.onJob(Fixtures.job("j", "m", 0), 1);
        d.onReply(reply("j", "w1", Verdict.ACCEPTED), 2);
        assertThat(d.onHeartbeat(running("w1", 1, "j"), 1000)).isEmpty();

        // the worker restarted under the same id: its completion of j is lost
        assertThat(d.onHeartbeat(running("w1", 1), 2000)).isEmpty();
        List<Action> second = d.onHeartbeat(running("w1", 1), 3000);

        assertThat(second).singleElement().isInstanceOf(Action.Orphan.class);
        assertThat(d.runningCount()).isZero();
    }

    @Test
    void anAssignmentLeftUnansweredPastTheReplyTimeoutIsTakenBack() {
        d.onHeartbeat(running("w1", 1), 0);
        d.onJob(Fixtures.job("j", "m", 0), 0);
        d.onHeartbeat(running("w1", 1), REPLY_TIMEOUT - 500);

        assertThat(d.tick(REPLY_TIMEOUT)).isEmpty();
        d.onHeartbeat(running("w1", 1), REPLY_TIMEOUT + 500);
        assertThat(d.tick(REPLY_TIMEOUT + 1)).singleElement().isInstanceOf(Action.Orphan.class);
    }

    @Test
    void jobsAWorkerRunsThatThisRouterDidNotAssignAreAdoptedAndOccupySlots() {
        d.onHeartbeat(running("w1", 2, "from-before-failover"), 0);
        List<Action> actions = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            actions.addAll(d.onJob(Fixtures.job("j" + i, "m", 0), 1));
        }
        assertThat(actions).hasSize(1);
        assertThat(d.runningCount()).isEqualTo(2);
        // its record delivered again after the failover: settled, not run a second time
        assertThat(d.onJob(Fixtures.job("from-before-failover", "m", 0), 2))
                .containsExactly(new Action.Settle("from-before-failover"));
    }

    @Test
    void anAdoptedJobCountsOneSlotUntilItsRecordSaysHowManyChoicesItRuns() {
        d.onHeartbeat(running("w1", 4, "adopted"), 0);
        assertThat(d.workers()).singleElement().satisfies(w -> assertThat(w.freeSlots()).isEqualTo(3));

        d.onJob(Fixtures.choices(Fixtures.job("adopted", "m", 0), 3), 1);

        assertThat(d.workers()).singleElement().satisfies(w -> assertThat(w.freeSlots()).isEqualTo(1));
    }

    @Test
    void aWaitingJobAWorkerTurnsOutToRunIsAdoptedNotRunTwice() {
        d.onJob(Fixtures.job("j", "m", 0), 0);

        List<Action> actions = d.onHeartbeat(running("w1", 2, "j"), 1);

        assertThat(actions).containsExactly(new Action.Settle("j"));
        assertThat(d.queued()).isZero();
    }

    @Test
    void aCompletionFromAWorkerTheJobWasTakenBackFromChangesNothing() {
        d.onHeartbeat(running("w2", 1), 0);
        assertThat(d.onJob(Fixtures.job("j", "m", 0), 1)).containsExactly(new Action.Assign(Fixtures.job("j", "m", 0), "w2"));
        d.onReply(reply("j", "w2", Verdict.ACCEPTED), 2);

        d.onCompletion(JobCompletion.of("j", "w1", JobCompletion.Outcome.CANCELLED, 3), 3);

        assertThat(d.runningCount()).isEqualTo(1);
    }

    @Test
    void anAssignmentThatCouldNotBeSentGoesBackInLine() {
        d.onHeartbeat(running("w1", 1), 0);
        d.onJob(Fixtures.job("a", "m", 0), 0);

        assertThat(d.onAssignFailed(Fixtures.job("a", "m", 0), "redis down", 1)).isEmpty();

        assertThat(d.queued()).isEqualTo(1);
        assertThat(d.onHeartbeat(running("w1", 1), 2)).containsExactly(new Action.Assign(Fixtures.job("a", "m", 0), "w1"));
    }

    @Test
    void whileWorkersCannotBeObservedNoneIsDeclaredLost() {
        d.onHeartbeat(running("w1", 1), 0);
        d.onJob(Fixtures.job("j", "m", 0), 0);
        d.onReply(reply("j", "w1", Verdict.ACCEPTED), 1);

        d.holdLiveness(WORKER_TIMEOUT);
        assertThat(d.tick(WORKER_TIMEOUT + 1)).isEmpty();
        assertThat(d.workers()).hasSize(1);
    }

    @Test
    void aJobTakenBackFromAWorkerThatComesBackIsNotAdoptedThereAgain() {
        Action.Orphan orphan = acceptedThenTakenBack();
        d.onOrphanRequeued(orphan, WORKER_TIMEOUT + 20);

        // w1 was only frozen: it comes back still listing j, whose claim it lost
        d.onHeartbeat(running("w1", 1, "j"), WORKER_TIMEOUT + 30);

        assertThat(d.queued() + d.runningCount()).isEqualTo(1);
        assertThat(d.onHeartbeat(running("w2", 1), WORKER_TIMEOUT + 40)).isEmpty();
    }

    @Test
    void aJobClaimedByAnotherLiveWorkerCountsThereAndIsTakenBackIfThatWorkerDies() {
        d.onHeartbeat(running("w1", 1, "other"), 0); // w1 is full
        d.onHeartbeat(running("w2", 1), 0);

        // k goes to w2, which finds w1 holding its claim (w1 took it from an earlier router's assignment)
        assertThat(d.onJob(Fixtures.job("k", "m", 0), 2)).containsExactly(new Action.Assign(Fixtures.job("k", "m", 0), "w2"));
        assertThat(d.onReply(AssignmentReply.of("k", "w2", Verdict.CLAIMED, "w1", 3), 3))
                .containsExactly(new Action.Settle("k"));
        assertThat(d.runningCount()).isEqualTo(2);

        d.onHeartbeat(running("w2", 1), WORKER_TIMEOUT);
        List<Action> lost = d.tick(WORKER_TIMEOUT + 2);
        assertThat(lost).hasSize(2).allMatch(a -> a instanceof Action.Orphan o && o.workerId().equals("w1"));
    }

    @Test
    void aJobClaimedByAWorkerTheRouterDoesNotKnowIsTakenBackFromIt() {
        d.onHeartbeat(running("w1", 1), 0);
        d.onJob(Fixtures.job("j", "m", 0), 1);

        List<Action> actions = d.onReply(AssignmentReply.of("j", "w1", Verdict.CLAIMED, "dead-worker", 2), 2);

        assertThat(actions).contains(new Action.Settle("j"));
        assertThat(actions).anySatisfy(a -> assertThat(a).isInstanceOfSatisfying(Action.Orphan.class,
                o -> assertThat(o.workerId()).isEqualTo("dead-worker")));
    }

    @Test
    void whileWorkersCannotBeObservedNoAssignmentCountsAsUnanswered() {
        d.onHeartbeat(running("w1", 1), 0);
        d.onJob(Fixtures.job("j", "m", 0), 0);

        d.holdLiveness(REPLY_TIMEOUT);
        assertThat(d.tick(REPLY_TIMEOUT + 1)).isEmpty();
        d.onHeartbeat(running("w1", 1), REPLY_TIMEOUT + 100);
        assertThat(d.tick(2 * REPLY_TIMEOUT + 1)).singleElement().isInstanceOf(Action.Orphan.class);
    }
}
