package io.switchboard.router.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.switchboard.router.Fixtures;
import io.switchboard.router.admission.ProviderRouting;
import io.switchboard.router.registry.WorkerSnapshot;
import io.switchboard.schema.event.ServiceClass;

class RecentStartScorerTest {
    final RecentStartScorer scorer = new RecentStartScorer();

    static WorkerSnapshot lastGivenAJobAt(long ms) {
        return new WorkerSnapshot("w", List.of("m"), "llama", 4, 2, 2, 0, null, null, null, ms);
    }

    static PlacementRequest at(long nowMs, ServiceClass band) {
        return new PlacementRequest(Fixtures.job("j", "m", band, 0), ProviderRouting.Allowed.LOCAL_ONLY, nowMs);
    }

    @Test
    void aCriticalJobAvoidsAWorkerThatJustStartedAPrefill() {
        assertThat(scorer.score(at(1_000, ServiceClass.CRITICAL), lastGivenAJobAt(1_000))).isZero();
        assertThat(scorer.score(at(1_000, ServiceClass.CRITICAL), lastGivenAJobAt(875))).isEqualTo(0.5);
        assertThat(scorer.score(at(1_000, ServiceClass.CRITICAL), lastGivenAJobAt(0))).isEqualTo(1.0);
        assertThat(scorer.score(at(1_000, ServiceClass.CRITICAL), lastGivenAJobAt(-1))).as("never given a job").isEqualTo(1.0);
    }

    @Test
    void otherBandsScoreEveryWorkerTheSameSoPrefixAffinityDecides() {
        assertThat(scorer.score(at(1_000, ServiceClass.BATCH), lastGivenAJobAt(1_000))).isEqualTo(1.0);
        assertThat(scorer.score(at(1_000, ServiceClass.STANDARD), lastGivenAJobAt(999))).isEqualTo(1.0);
    }
}
