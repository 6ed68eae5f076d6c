package io.switchboard.router.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.switchboard.router.Fixtures;
import io.switchboard.router.admission.ProviderRouting;
import io.switchboard.router.registry.WorkerSnapshot;
import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.Feature;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.Providers;
import io.switchboard.schema.event.ServiceClass;

class WideJobHoldTest {
    static final EngineCapabilities CHOICES = new EngineCapabilities(List.of(), 0, 8, Set.of(Feature.N), true);

    static WorkerSnapshot worker(String id, int total, int free, String provider, String... models) {
        return new WorkerSnapshot(id, List.of(models), "llama", total, free, total - free, 0, null, CHOICES, provider);
    }

    static WorkerSnapshot local(String id, int total, int free) {
        return worker(id, total, free, Providers.LOCAL, "m");
    }

    static final InferenceJob TWO = Fixtures.choices(Fixtures.job("two", "m", 0), 2);

    static Stream<Arguments> holds() {
        return Stream.of(
                Arguments.of("a job of one choice holds nothing: any slot that frees is its", Fixtures.job("one", "m", 0),
                        List.of(local("w1", 4, 0)), null, null),
                Arguments.of("the worker with the most free slots: fewest to wait for", TWO,
                        List.of(local("w1", 4, 0), local("w2", 4, 1), local("w3", 8, 0)), null, "w2"),
                Arguments.of("as many free: the one with fewer busy slots, whose jobs end sooner as a whole", TWO,
                        List.of(local("w1", 8, 1), local("w2", 4, 1)), null, "w2"),
                Arguments.of("all alike: by id, so the choice does not wander", TWO,
                        List.of(local("w2", 4, 0), local("w1", 4, 0)), null, "w1"),
                Arguments.of("the worker it holds is kept while it can still run the job", TWO,
                        List.of(local("w1", 4, 0), local("w2", 4, 1)), "w1", "w1"),
                Arguments.of("a held worker that is gone is replaced", TWO, List.of(local("w2", 4, 0)), "w1", "w2"),
                Arguments.of("a worker with fewer slots than the job has choices is never held", TWO,
                        List.of(local("w1", 1, 1), local("w2", 4, 0)), null, "w2"),
                Arguments.of("a worker of another model is never held", TWO,
                        List.of(worker("w1", 4, 1, Providers.LOCAL, "other"), local("w2", 4, 0)), null, "w2"),
                Arguments.of("a worker of a provider the job may not use now is never held", TWO,
                        List.of(worker("cloud", 64, 10, Providers.CLOUD, "m"), local("w1", 4, 0)), null, "w1"),
                Arguments.of("no worker could run it: nothing held (no-worker-wait refuses it)", TWO,
                        List.of(local("w1", 1, 0)), null, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("holds")
    void aJobOfSeveralChoicesHoldsTheWorkerWhereItsChoicesFitSoonest(String name, InferenceJob job,
            List<WorkerSnapshot> workers, String held, String expected) {
        PlacementRequest request = new PlacementRequest(job, ProviderRouting.Allowed.LOCAL_ONLY, 0);

        assertThat(WideJobHold.choose(job, request, workers, Optional.ofNullable(held))).isEqualTo(Optional.ofNullable(expected));
    }

    @Test
    void aHeldWorkerIsOpenOnlyToTheJobItIsHeldForAndToJobsOfAHigherBand() {
        List<WorkerSnapshot> workers = List.of(local("w1", 4, 1), local("w2", 4, 1));
        Map<String, WideJobHold.Held> holds = Map.of("two", new WideJobHold.Held("w1", ServiceClass.STANDARD));
        InferenceJob other = Fixtures.job("other", "m", 0);

        assertThat(WideJobHold.open(TWO, ServiceClass.STANDARD, workers, holds)).extracting(WorkerSnapshot::workerId)
                .containsExactly("w1", "w2");
        assertThat(WideJobHold.open(other, ServiceClass.STANDARD, workers, holds)).extracting(WorkerSnapshot::workerId)
                .containsExactly("w2");
        assertThat(WideJobHold.open(other, ServiceClass.BATCH, workers, holds)).extracting(WorkerSnapshot::workerId)
                .containsExactly("w2");
        assertThat(WideJobHold.open(other, ServiceClass.CRITICAL, workers, holds)).extracting(WorkerSnapshot::workerId)
                .containsExactly("w1", "w2");
        assertThat(WideJobHold.open(other, ServiceClass.STANDARD, workers, Map.of())).hasSize(2);
    }
}
