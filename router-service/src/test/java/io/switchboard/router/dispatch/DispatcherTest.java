package io.switchboard.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.switchboard.router.Fixtures;
import io.switchboard.router.scheduling.LeastLoadedScorer;
import io.switchboard.router.scheduling.Placement;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.ServiceClass;

/** The router's state machine, driven input by input with an explicit clock. */
class DispatcherTest {
    static final long WORKER_TIMEOUT = 3_000;
    static final long NO_WORKER_WAIT = 10_000;

    final AcceptingWorkers d = new AcceptingWorkers(new Dispatcher(new Placement(List.of(
            new Placement.WeightedScorer(new LeastLoadedScorer(), 1)), new Random(1)), WORKER_TIMEOUT, NO_WORKER_WAIT));

    @Test
    void neverAssignsMoreJobsThanAWorkerHasSlots() {
        d.onHeartbeat(Fixtures.heartbeat("w1", 2, "m"), 0);
        d.onHeartbeat(Fixtures.heartbeat("w2", 2, "m"), 0);
        Map<String, Integer> perWorker = new HashMap<>();
        for (int i = 0; i < 8; i++) {
            for (Action a : d.onJob(Fixtures.job("j" + i, "m", 0), 1)) {
                perWorker.merge(((Action.Assign) a).workerId(), 1, Integer::sum);
            }
        }
        assertThat(perWorker).containsEntry("w1", 2).containsEntry("w2", 2);
        assertThat(d.queued()).isEqualTo(4);
        // a stale heartbeat claiming all slots free changes nothing: the router's own accounting rules
        assertThat(d.onHeartbeat(Fixtures.heartbeat("w1", 2, "m"), 2)).isEmpty();
    }

    @Test
    void aJobTakesOneSlotPerChoiceAndGivesThemAllBackWhenItEnds() {
        d.onHeartbeat(Fixtures.choicesHeartbeat("w1", 4, "m"), 0);
        assertThat(d.onJob(Fixtures.choices(Fixtures.job("three", "m", 0), 3), 1)).hasSize(1);
        assertThat(d.onJob(Fixtures.job("a", "m", 0), 2)).hasSize(1);
        assertThat(d.onJob(Fixtures.job("b", "m", 0), 3)).isEmpty();
        assertThat(d.workers()).singleElement().satisfies(w -> assertThat(w.freeSlots()).isZero());

        List<Action> next = d.onCompletion("three", 4);

        assertThat(next).containsExactly(new Action.Assign(Fixtures.job("b", "m", 0), "w1"));
        assertThat(d.workers()).singleElement().satisfies(w -> assertThat(w.freeSlots()).isEqualTo(2));
    }

    @Test
    void aJobOfSeveralChoicesWaitsFirstInLineForRoomAndIsNotPassedBySmallerOnes() {
        d.onHeartbeat(Fixtures.choicesHeartbeat("w1", 4, "m"), 0);
        d.onJob(Fixtures.job("a", "m", 0), 1);
        d.onJob(Fixtures.job("b", "m", 0), 2);
        assertThat(d.onJob(Fixtures.choices(Fixtures.job("four", "m", 0), 4), 3)).isEmpty();
        // two slots are free, but the job first in line needs four: the one behind it waits too rather than starve it
        assertThat(d.onJob(Fixtures.job("c", "m", 0), 4)).isEmpty();
        assertThat(d.onCompletion("a", 5)).isEmpty();

        assertThat(d.onCompletion("b", 6)).containsExactly(
                new Action.Assign(Fixtures.choices(Fixtures.job("four", "m", 0), 4), "w1"));
        assertThat(d.onCompletion("four", 7)).containsExactly(new Action.Assign(Fixtures.job("c", "m", 0), "w1"));
    }

    @Test
    void aJobOfSeveralChoicesHoldsAWorkerSoOtherModelsJobsDoNotTakeItsSlotsOneByOne() {
        d.onHeartbeat(Fixtures.choicesHeartbeat("w1", 2, "m", "other"), 0);
        assertThat(d.onJob(Fixtures.job("o1", "other", 0), 1)).hasSize(1);
        assertThat(d.onJob(Fixtures.job("o2", "other", 0), 2)).hasSize(1);
        assertThat(d.onJob(Fixtures.choices(Fixtures.job("two", "m", 0), 2), 3)).isEmpty();
        assertThat(d.onJob(Fixtures.job("o3", "other", 0), 4)).isEmpty();

        // one slot frees: without the hold o3 would take it, and another job of 'other' the next one, and so on
        assertThat(d.onCompletion("o1", 5)).isEmpty();
        assertThat(d.onCompletion("o2", 6)).containsExactly(
                new Action.Assign(Fixtures.choices(Fixtures.job("two", "m", 0), 2), "w1"));
        assertThat(d.onCompletion("two", 7)).containsExactly(new Action.Assign(Fixtures.job("o3", "other", 0), "w1"));
    }

    @Test
    void twoJobsOfSeveralChoicesNeverHoldTheSameWorkerSoBothRunInTurn() {
        d.onHeartbeat(Fixtures.choicesHeartbeat("w1", 4, "a", "b", "c"), 0);
        for (int i = 0; i < 4; i++) {
            assertThat(d.onJob(Fixtures.job("c" + i, "c", 0), 1)).hasSize(1);
        }
        InferenceJob four = Fixtures.choices(Fixtures.job("four", "a", 0), 4);
        InferenceJob two = Fixtures.choices(Fixtures.job("two", "b", 0), 2);
        d.onJob(four, 2);
        d.onJob(two, 3);

        List<Action> assigned = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            assigned.addAll(d.onCompletion("c" + i, 4 + i));
        }
        // whichever holds the worker runs first; the other runs once it ends (two holding one worker kept both out)
        assertThat(assigned).hasSize(1);
        String first = ((Action.Assign) assigned.get(0)).job().jobId();
        List<Action> then = d.onCompletion(first, 10);
        if (first.equals("two")) {
            then = new ArrayList<>(then);
            then.addAll(d.onCompletion("four", 11));
        }
        assertThat(then).extracting(a -> ((Action.Assign) a).job().jobId()).containsExactly(first.equals("two") ? "four" : "two");
    }

    @Test
    void aJobOfSeveralChoicesNoLongerFirstInItsLineHoldsNothing() {
        d.onHeartbeat(Fixtures.choicesHeartbeat("w1", 2, "m", "other"), 0);
        d.onJob(Fixtures.job("o1", "other", 0), 1);
        d.onJob(Fixtures.job("o2", "other", 0), 2);
        d.onJob(Fixtures.choices(Fixtures.job("two", "m", 0), 2), 3);
        assertThat(d.onCompletion("o1", 4)).isEmpty();
        // a job of its own tenant with a more urgent priority goes before it: the wide job no longer holds the worker
        InferenceJob urgent = Fixtures.job("urgent", "m", -5);

        assertThat(d.onJob(urgent, 5)).containsExactly(new Action.Assign(urgent, "w1"));
    }

    @Test
    void aWorkerHeldForAJobOfSeveralChoicesIsFreeForOthersOnceThatJobLeavesTheLine() {
        d.onHeartbeat(Fixtures.choicesHeartbeat("w1", 2, "m", "other"), 0);
        d.onJob(Fixtures.job("o1", "other", 0), 1);
        d.onJob(Fixtures.job("o2", "other", 0), 2);
        d.onJob(Fixtures.choices(Fixtures.job("two", "m", 0), 2), 3);
        d.onJob(Fixtures.job("o3", "other", 0), 4);
        assertThat(d.onCompletion("o1", 5)).isEmpty();

        assertThat(d.onCancel("two", "client_disconnected", 6)).containsExactly(
                new Action.Drop(Fixtures.choices(Fixtures.job("two", "m", 0), 2), "client_disconnected"),
                new Action.Assign(Fixtures.job("o3", "other", 0), "w1"));
    }

    @Test
    void anotherWorkerWithRoomServesOtherModelsWhileOneIsHeld() {
        d.onHeartbeat(Fixtures.choicesHeartbeat("w1", 2, "m", "other"), 0);
        d.onJob(Fixtures.job("o1", "other", 0), 1);
        d.onJob(Fixtures.job("o2", "other", 0), 2);
        d.onJob(Fixtures.choices(Fixtures.job("three", "m", 0), 2), 3);
        // a worker of one slot cannot run the job of two choices: it is not held, and takes 'other' at once
        d.onHeartbeat(Fixtures.choicesHeartbeat("w2", 1, "other", "m"), 4);

        assertThat(d.onJob(Fixtures.job("o3", "other", 0), 5)).containsExactly(
                new Action.Assign(Fixtures.job("o3", "other", 0), "w2"));
    }

    @Test
    void aJobWithMoreChoicesThanAnyWorkerHasSlotsFailsAfterTheWaitAndNoLongerHoldsTheLine() {
        d.onHeartbeat(Fixtures.choicesHeartbeat("w1", 2, "m"), 0);
        assertThat(d.onJob(Fixtures.choices(Fixtures.job("three", "m", 0), 3), 0)).isEmpty();
        assertThat(d.onJob(Fixtures.job("behind", "m", 0), 1)).isEmpty();
        d.onHeartbeat(Fixtures.choicesHeartbeat("w1", 2, "m"), NO_WORKER_WAIT - 1);
        assertThat(d.tick(NO_WORKER_WAIT - 1)).isEmpty();

        List<Action> actions = d.tick(NO_WORKER_WAIT);

        assertThat(actions).hasSize(2);
        assertThat(actions.get(0)).isInstanceOfSatisfying(Action.Fail.class, f -> {
            assertThat(f.job().jobId()).isEqualTo("three");
            assertThat(f.code()).isEqualTo(FailureCode.NO_WORKER_AVAILABLE);
        });
        assertThat(actions.get(1)).isEqualTo(new Action.Assign(Fixtures.job("behind", "m", 0), "w1"));
    }

    @Test
    void completionFreesTheSlotForTheNextJobInPriorityOrder() {
        d.onHeartbeat(Fixtures.heartbeat("w1", 1, "m"), 0);
        d.onJob(Fixtures.job("running", "m", 0), 1);
        d.onJob(Fixtures.job("normal", "m", 0), 2);
        d.onJob(Fixtures.job("urgent", "m", -1), 3);

        List<Action> next = d.onCompletion("running", 4);

        assertThat(next).containsExactly(new Action.Assign(Fixtures.job("urgent", "m", -1), "w1"));
    }

    @Test
    void jobWaitsForAWorkerThatJoinsLater() {
        assertThat(d.onJob(Fixtures.job("j", "m", 0), 0)).isEmpty();
        assertThat(d.onHeartbeat(Fixtures.heartbeat("late", 1, "m"), 500))
                .containsExactly(new Action.Assign(Fixtures.job("j", "m", 0), "late"));
    }

    @Test
    void jobForAModelNobodyServesFailsAfterTheWait() {
        d.onHeartbeat(Fixtures.heartbeat("w1", 2, "other"), 0);
        d.onJob(Fixtures.job("j", "m", 0), 0);

        assertThat(d.tick(NO_WORKER_WAIT - 1)).isEmpty();
        d.onHeartbeat(Fixtures.heartbeat("w1", 2, "other"), NO_WORKER_WAIT - 1);
        assertThat(d.tick(NO_WORKER_WAIT)).singleElement().isInstanceOfSatisfying(Action.Fail.class,
                f -> assertThat(f.code()).isEqualTo(FailureCode.NO_WORKER_AVAILABLE));
    }

    @Test
    void busyWorkersMakeAJobWaitNotFail() {
        d.onHeartbeat(Fixtures.heartbeat("w1", 1, "m"), 0);
        d.onJob(Fixtures.job("a", "m", 0), 0);
        d.onJob(Fixtures.job("b", "m", 0), 0);
        d.onHeartbeat(Fixtures.heartbeat("w1", 1, "m"), NO_WORKER_WAIT);

        assertThat(d.tick(NO_WORKER_WAIT + 1)).isEmpty();
        assertThat(d.queued()).isEqualTo(1);
    }

    @Test
    void expiredQueuedJobFailsWithQueueTimeout() {
        d.onHeartbeat(Fixtures.heartbeat("w1", 1, "m"), 0);
        d.onJob(Fixtures.job("a", "m", 0), 0);
        d.onJob(Fixtures.job("b", "m", 0, 1_000), 0);
        d.onHeartbeat(Fixtures.heartbeat("w1", 1, "m"), 900);

        assertThat(d.tick(1_000)).singleElement().isInstanceOfSatisfying(Action.Fail.class, f -> {
            assertThat(f.job().jobId()).isEqualTo("b");
            assertThat(f.code()).isEqualTo(FailureCode.QUEUE_TIMEOUT);
        });
    }

    @Test
    void cancelledWaitingJobIsNeverAssigned() {
        d.onHeartbeat(Fixtures.heartbeat("w1", 1, "m"), 0);
        d.onJob(Fixtures.job("a", "m", 0), 0);
        d.onJob(Fixtures.job("gone", "m", 0), 0);
        d.onCancel("gone", "client_disconnected", 1);

        assertThat(d.onCompletion("a", 2)).isEmpty();
        assertThat(d.queued()).isZero();
    }

    /** Cancels as a table: (which job, the cancel's reason) → actions, with "running" in the one slot and "waiting" queued. */
    static Stream<Arguments> cancels() {
        return Stream.of(
                Arguments.of("a waiting job is dropped with the client's reason", "waiting", "client_disconnected",
                        List.of(new Action.Drop(Fixtures.job("waiting", "m", 0), "client_disconnected"))),
                Arguments.of("a waiting job past its request timeout is dropped as timeout", "waiting", "timeout",
                        List.of(new Action.Drop(Fixtures.job("waiting", "m", 0), "timeout"))),
                Arguments.of("a cancel without a reason drops as cancelled", "waiting", null,
                        List.of(new Action.Drop(Fixtures.job("waiting", "m", 0), "cancelled"))),
                Arguments.of("a blank reason drops as cancelled", "waiting", " ",
                        List.of(new Action.Drop(Fixtures.job("waiting", "m", 0), "cancelled"))),
                Arguments.of("a running job is left to its worker", "running", "client_disconnected", List.of()),
                Arguments.of("an unknown job changes nothing", "never-seen", "client_disconnected", List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cancels")
    void cancelDropsOnlyAWaitingJob(String name, String jobId, String reason, List<Action> expected) {
        d.onHeartbeat(Fixtures.heartbeat("w1", 1, "m"), 0);
        d.onJob(Fixtures.job("running", "m", 0), 0);
        d.onJob(Fixtures.job("waiting", "m", 0), 0);

        assertThat(d.onCancel(jobId, reason, 1)).isEqualTo(expected);
    }

    @Test
    void aDroppedJobIsDroppedOnceAndItsSlotGoesToTheNext() {
        d.onHeartbeat(Fixtures.heartbeat("w1", 1, "m"), 0);
        d.onJob(Fixtures.job("running", "m", 0), 0);
        d.onJob(Fixtures.job("gone", "m", 0), 0);
        d.onJob(Fixtures.job("next", "m", 0), 0);

        assertThat(d.onCancel("gone", "client_disconnected", 1)).singleElement().isInstanceOf(Action.Drop.class);
        assertThat(d.onCancel("gone", "client_disconnected", 2)).isEmpty();
        assertThat(d.onCompletion("running", 3)).containsExactly(new Action.Assign(Fixtures.job("next", "m", 0), "w1"));
    }

    @Test
    void aFreedSlotGoesToTheHigherBandWhateverThePriority() {
        d.onHeartbeat(Fixtures.heartbeat("w1", 1, "m"), 0);
        d.onJob(Fixtures.job("running", "m", 0), 0);
        d.onJob(Fixtures.job("batch", "m", ServiceClass.BATCH, -100), 1);
        d.onJob(Fixtures.job("standard", "m", ServiceClass.STANDARD, 100), 2);

        assertThat(d.onCompletion("running", 3))
                .containsExactly(new Action.Assign(Fixtures.job("standard", "m", ServiceClass.STANDARD, 100), "w1"));
    }

    @Test
    void redeliveredJobIsNotRunTwice() {
        d.onHeartbeat(Fixtures.heartbeat("w1", 2, "m"), 0);
        assertThat(d.onJob(Fixtures.job("a", "m", 0), 0)).hasSize(1);
        assertThat(d.onJob(Fixtures.job("a", "m", 0), 1)).isEmpty();
        d.onCompletion("a", 2);
        assertThat(d.onJob(Fixtures.job("a", "m", 0), 3)).isEmpty();
    }

}
