package io.switchboard.worker.capacity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.Feature;

/** What a worker's heartbeats offer of its engine's capabilities. */
class OfferedCapabilitiesTest {
    static final EngineCapabilities ENGINE = new EngineCapabilities(List.of("tiny"), 2048, 8, Set.of(Feature.N), true);

    @Test
    void aWorkerThatCannotHearCancelsYetOffersNothing() {
        assertThat(HeartbeatPublisher.offered(ENGINE, 4, List.of(), false).available()).isFalse();
        assertThat(HeartbeatPublisher.offered(ENGINE, 4, List.of(), true).available()).isTrue();
    }

    @Test
    void anEngineThatCannotServeStaysUnavailable() {
        assertThat(HeartbeatPublisher.offered(ENGINE.withAvailable(false), 4, List.of(), true).available()).isFalse();
    }

    @Test
    void noMoreChoicesThanSlotsAndTheConfiguredAliasesBesideTheEngines() {
        EngineCapabilities offered = HeartbeatPublisher.offered(ENGINE, 2, List.of("small", "tiny"), true);

        assertThat(offered.maxN()).isEqualTo(2);
        assertThat(offered.aliases()).containsExactly("tiny", "small");
        assertThat(offered.features()).containsExactly(Feature.N);
        assertThat(offered.contextLength()).isEqualTo(2048);
    }
}
