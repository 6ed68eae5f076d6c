package io.switchboard.worker.capacity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.Feature;
import io.switchboard.schema.event.Providers;
import io.switchboard.schema.event.WorkerHeartbeat;

/** Which heartbeats go on Kafka for the gateways' model catalog. */
class CatalogHeartbeatTest {
    static final EngineCapabilities ENGINE = new EngineCapabilities(List.of("tiny"), 2048, 8, Set.of(Feature.N), true);

    static WorkerHeartbeat beat(List<String> models, int free, EngineCapabilities capabilities, String provider) {
        return new WorkerHeartbeat(WorkerHeartbeat.VERSION, "w1", models, "llama", 4, free, 0, List.of(), 0, 1000,
                capabilities, provider);
    }

    static final WorkerHeartbeat LAST = beat(List.of("m"), 4, ENGINE, Providers.LOCAL);

    static Stream<Arguments> beats() {
        return Stream.of(
                Arguments.of("the first one goes", null, beat(List.of("m"), 4, ENGINE, Providers.LOCAL), 0L, true),
                Arguments.of("only the free slots changed, within the interval: not sent", LAST,
                        beat(List.of("m"), 1, ENGINE, Providers.LOCAL), 2_999L, false),
                Arguments.of("the interval passed: sent again, so the gateways keep the model listed", LAST,
                        beat(List.of("m"), 4, ENGINE, Providers.LOCAL), 3_000L, true),
                Arguments.of("its engine became unavailable: sent at once", LAST,
                        beat(List.of("m"), 4, ENGINE.withAvailable(false), Providers.LOCAL), 1L, true),
                Arguments.of("another model: sent at once", LAST, beat(List.of("m2"), 4, ENGINE, Providers.LOCAL), 1L, true),
                Arguments.of("another provider: sent at once", LAST, beat(List.of("m"), 4, ENGINE, Providers.CLOUD), 1L, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("beats")
    void aHeartbeatGoesToTheCatalogWhenWhatItKeepsChangesOrTheIntervalPassed(String name, WorkerHeartbeat last,
            WorkerHeartbeat next, long nowMs, boolean sent) {
        assertThat(HeartbeatPublisher.toCatalog(last, 0, next, nowMs, 3_000)).isEqualTo(sent);
    }
}
