package io.switchboard.router.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.switchboard.schema.event.ServiceClass;

/** Flow control's refusals as tables: tenant caps, which band is shed, predicted waits against deadlines. */
class AdmissionTest {

    static Stream<Arguments> caps() {
        return Stream.of(
                Arguments.of("an empty tenant has room", 0, 1000, true),
                Arguments.of("one below the cap has room", 999, 1000, true),
                Arguments.of("at the cap is full", 1000, 1000, false),
                Arguments.of("a cap of 0 refuses everything", 0, 0, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("caps")
    void aTenantMayQueueUpToItsCap(String name, int queued, int cap, boolean room) {
        assertThat(Admission.tenantHasRoom(queued, cap)).isEqualTo(room);
    }

    static Stream<Arguments> sheds() {
        return Stream.of(
                Arguments.of("batch goes first whatever waits above it", new int[] { 5, 5, 1 }, ServiceClass.BATCH),
                Arguments.of("then standard", new int[] { 5, 3, 0 }, ServiceClass.STANDARD),
                Arguments.of("critical only when only critical remains", new int[] { 9, 0, 0 }, ServiceClass.CRITICAL),
                Arguments.of("standard before critical however few", new int[] { 100, 1, 0 }, ServiceClass.STANDARD));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sheds")
    void aSaturatedModelShedsBatchThenStandardAndCriticalLast(String name, int[] depths, ServiceClass shed) {
        assertThat(Admission.shedFrom(depths)).isEqualTo(shed);
    }

    static Stream<Arguments> waits() {
        OptionalDouble second = OptionalDouble.of(1000);
        return Stream.of(
                Arguments.of("fewer jobs ahead than slots: none (a slot may free at any moment)", 3, 4, second, OptionalLong.of(0)),
                Arguments.of("one full round of slots ahead: one service time", 4, 4, second, OptionalLong.of(1000)),
                Arguments.of("three rounds ahead", 13, 4, second, OptionalLong.of(3000)),
                Arguments.of("no measured service time: unknown", 1000, 1, OptionalDouble.empty(), OptionalLong.empty()),
                Arguments.of("no live slot: unknown", 1000, 0, second, OptionalLong.empty()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("waits")
    void theExpectedWaitWhatCloudOverflowWeighsCountsFullRoundsOfTheSlotsAhead(String name, int ahead, int slots,
            OptionalDouble meanMs, OptionalLong expected) {
        assertThat(Admission.predictedWaitMs(ahead, slots, meanMs)).isEqualTo(expected);
    }

    static Stream<Arguments> longestWaits() {
        OptionalDouble second = OptionalDouble.of(1000);
        return Stream.of(
                Arguments.of("a free slot left for it: no wait, but its run and the margin must fit", 2, 1, 4, 3, second, 1200L,
                        OptionalLong.of(0), false),
                Arguments.of("every slot busy: a whole service time (each may have just started), then its own run", 0, 1, 4, 0,
                        second, 1999L, OptionalLong.of(1000), true),
                Arguments.of("time for the wait and the run, not for the margin (a fifth of a run): refused", 0, 1, 4, 0,
                        second, 2100L, OptionalLong.of(1000), true),
                Arguments.of("time for the wait, the run and the margin: kept", 0, 1, 4, 0, second, 2200L, OptionalLong.of(1000),
                        false),
                Arguments.of("a full round of the slots ahead of it as well", 4, 1, 4, 0, second, 3200L, OptionalLong.of(2000), false),
                Arguments.of("the free slots go to the jobs ahead first", 5, 1, 4, 2, second, 1000L, OptionalLong.of(1000), true),
                Arguments.of("as many jobs ahead as free slots: they take them all", 2, 1, 4, 2, second, 2200L, OptionalLong.of(1000),
                        false),
                Arguments.of("a job of 3 choices needs 3 free slots: 2 free are not enough", 0, 3, 4, 2, second, 1200L,
                        OptionalLong.of(1000), true),
                Arguments.of("a job of 3 choices with 3 free slots starts at once", 0, 3, 4, 3, second, 1200L, OptionalLong.of(0),
                        false),
                Arguments.of("the choices ahead count: 2 jobs of 2 choices ahead fill a round of 4 slots", 4, 1, 4, 0, second,
                        2200L, OptionalLong.of(2000), true),
                Arguments.of("its own choices past a round of the slots wait for the next round", 2, 4, 4, 0, second, 3200L,
                        OptionalLong.of(2000), false),
                Arguments.of("no measured service time: never refused", 1000, 1, 1, 0, OptionalDouble.empty(), 1L,
                        OptionalLong.empty(), false),
                Arguments.of("no live slot: never refused here (no-worker-wait decides)", 1000, 1, 0, 0, second, 1L,
                        OptionalLong.empty(), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("longestWaits")
    void aJobIsAdmittedOnlyIfItFinishesBeforeItsDeadlineAfterTheLongestItMayWait(String name, int slotsAhead, int jobSlots,
            int slots, int free, OptionalDouble meanMs, long remainingMs, OptionalLong longest, boolean refused) {
        assertThat(Admission.longestWaitMs(slotsAhead, jobSlots, slots, free, meanMs)).isEqualTo(longest);
        assertThat(Admission.deadlineUnreachable(longest, meanMs, remainingMs, 0.2)).isEqualTo(refused);
    }

    static Stream<Arguments> starts() {
        OptionalDouble second = OptionalDouble.of(1000);
        return Stream.of(
                Arguments.of("more time left than a run takes: it waits on", second, 1001L, false),
                Arguments.of("less time left than a run takes: refused now", second, 999L, true),
                Arguments.of("no measured service time: it waits on", OptionalDouble.empty(), 1L, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("starts")
    void aWaitingJobIsRefusedOnceItCouldNoLongerFinishInTime(String name, OptionalDouble meanMs, long remainingMs,
            boolean refused) {
        assertThat(Admission.tooLateToStart(meanMs, remainingMs)).isEqualTo(refused);
    }
}
