package io.switchboard.router.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.switchboard.router.Fixtures;
import io.switchboard.router.registry.WorkerSnapshot;

/** Placement decisions, as a table: (job's model, workers) → chosen worker. */
class PlacementTest {

    static WorkerSnapshot w(String id, int total, int free, String... models) {
        return new WorkerSnapshot(id, Arrays.asList(models), "llama", total, free, total - free, 0);
    }

    final Placement placement = new Placement(List.of(new Placement.WeightedScorer(new LeastLoadedScorer(), 1.0)),
            new Random(42));

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("the only worker with room", List.of(w("a", 4, 0, "m"), w("b", 4, 1, "m")), "b"),
                Arguments.of("least loaded by share, not by free count", List.of(w("big", 8, 4, "m"), w("small", 4, 3, "m")),
                        "small"),
                Arguments.of("skips workers of other models", List.of(w("x", 4, 4, "other"), w("y", 4, 1, "m")), "y"),
                Arguments.of("a worker serving several models", List.of(w("multi", 2, 2, "other", "m")), "multi"),
                Arguments.of("nobody serves the model", List.of(w("x", 4, 4, "other")), null),
                Arguments.of("every worker is full", List.of(w("a", 2, 0, "m"), w("b", 2, 0, "m")), null),
                Arguments.of("no workers at all", List.of(), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void placesJobOnExpectedWorker(String name, List<WorkerSnapshot> workers, String expected) {
        assertThat(placement.place(Fixtures.job("j", "m", 0), workers).orElse(null)).isEqualTo(expected);
    }

    @Test
    void tiesAreBrokenBySeededRandomSoBothWorkersGetWork() {
        List<WorkerSnapshot> tied = List.of(w("a", 4, 4, "m"), w("b", 4, 4, "m"));
        var picks = Stream.generate(() -> placement.place(Fixtures.job("j", "m", 0), tied).orElseThrow()).limit(50).toList();
        assertThat(picks).contains("a", "b");
        Placement again = new Placement(List.of(new Placement.WeightedScorer(new LeastLoadedScorer(), 1.0)), new Random(42));
        Placement same = new Placement(List.of(new Placement.WeightedScorer(new LeastLoadedScorer(), 1.0)), new Random(42));
        assertThat(again.place(Fixtures.job("j", "m", 0), tied)).isEqualTo(same.place(Fixtures.job("j", "m", 0), tied));
    }
}
