package io.switchboard.router.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** {@code switchboard.router.scorers} read into weighted scorers; a bad entry fails (the producer runs at start-up). */
class PlacementProducerTest {
    final Map<String, Scorer> known = Map.of(LeastLoadedScorer.NAME, new LeastLoadedScorer(), PrefixAffinityScorer.NAME,
            new PrefixAffinityScorer());

    List<Placement.WeightedScorer> read(String... entries) {
        return PlacementProducer.weighted(List.of(entries), name -> Optional.ofNullable(known.get(name)));
    }

    @Test
    void namesWithOptionalWeights() {
        List<Placement.WeightedScorer> weighted = read("prefix-affinity:1.5", " least-loaded ");
        assertThat(weighted).extracting(Placement.WeightedScorer::weight).containsExactly(1.5, 1.0);
        assertThat(weighted.get(0).scorer()).isInstanceOf(PrefixAffinityScorer.class);
    }

    @Test
    void anUnknownScorerNameFailsNamingIt() {
        assertThatThrownBy(() -> read("least-loaded:1", "kv-cache-aware:2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown scorer 'kv-cache-aware'");
    }

    @Test
    void aBadWeightFails() {
        assertThatThrownBy(() -> read("least-loaded:heavy")).hasMessageContaining("least-loaded:heavy");
        assertThatThrownBy(() -> read("least-loaded:-1")).hasMessageContaining(">= 0");
    }

    @Test
    void theScorersAreReadAtStartUpBeforeAnythingElseStarts() throws Exception {
        // the producer is what runs this check; @Startup makes it run at start-up (seen failing with an unknown name
        // before the router touches Kafka), not at the first dispatch
        java.lang.reflect.Method producer = PlacementProducer.class.getDeclaredMethod("placement",
                io.switchboard.router.RouterConfig.class, jakarta.enterprise.inject.Instance.class);
        assertThat(producer.getAnnotation(io.quarkus.runtime.Startup.class)).isNotNull()
                .extracting(io.quarkus.runtime.Startup::value).isEqualTo(jakarta.interceptor.Interceptor.Priority.PLATFORM_BEFORE);
    }

    @Test
    void noScorerAtAllFails() {
        assertThatThrownBy(() -> read()).hasMessageContaining("at least one");
    }
}
