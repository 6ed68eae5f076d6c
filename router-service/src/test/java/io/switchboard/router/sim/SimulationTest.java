package io.switchboard.router.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import io.switchboard.router.sim.Simulation.Policy;
import io.switchboard.schema.event.ServiceClass;

/**
 * The four goals on shorter runs of {@code deploy/sim/scenarios} (virtual time: a few seconds of CPU, nothing
 * sleeps), driving the real dispatcher and scorers. Deterministic: the same seed gives the same numbers.
 */
class SimulationTest {
    static final Path SCENARIOS = Path.of("../deploy/sim/scenarios");

    static Report.Runs run(String file) throws Exception {
        Scenario sc = Scenario.load(SCENARIOS.resolve(file)).with("duration-s", "240").with("warmup-s", "30");
        return Report.run(sc);
    }

    @Test
    void theSameSeedGivesTheSameResults() throws Exception {
        Scenario sc = Scenario.load(SCENARIOS.resolve("4-prefix-affinity.properties")).with("duration-s", "60")
                .with("warmup-s", "10");
        assertThat(Report.format(Report.run(sc))).isEqualTo(Report.format(Report.run(sc)));
    }

    @Test
    void criticalP99TimeToFirstTokenStaysWithinTwentyPercentOfUnloadedWhileBatchOffersThreeTimesCapacity() throws Exception {
        Report.Runs runs = run("1-critical-isolation.properties");
        assertThat(runs.verdict().met()).as(runs.verdict().measured()).isTrue();
    }

    @Test
    void criticalJobsGoAheadOfABatchFloodWhereFcfsMakesThemWaitBehindIt() throws Exception {
        Report.Runs runs = run("1-critical-isolation.properties");
        Result sw = runs.byPolicy().get(Policy.SWITCHBOARD);
        Result fcfs = runs.byPolicy().get(Policy.FCFS);
        assertThat(sw.tenants.get("interactive").refusedTotal()).as("no critical job refused").isZero();
        assertThat(Goals.p99(sw, ServiceClass.CRITICAL)).isLessThan(Goals.p99(fcfs, ServiceClass.CRITICAL) / 10);
        assertThat(sw.tenants.get("batch1").refusedTotal()).as("the batch flood is shed").isPositive();
    }

    @Test
    void backloggedTenantsShareByWeightAndAFloodBarelyDelaysALightTenant() throws Exception {
        Report.Runs runs = run("2-fair-share.properties");
        assertThat(runs.verdict().met()).as(runs.verdict().measured()).isTrue();
        assertThat(runs.byPolicy().get(Policy.FCFS).jain(ServiceClass.STANDARD)).as("fcfs, for contrast").isLessThan(0.8);
    }

    @Test
    void capacityAwarePlacementBeatsRoundRobinOnHeterogeneousWorkers() throws Exception {
        Report.Runs runs = run("3-heterogeneous.properties");
        assertThat(runs.verdict().met()).as(runs.verdict().measured()).isTrue();
    }

    @Test
    void prefixAffinityDoublesThePrefixCacheHitRateWithNoWorseTail() throws Exception {
        Report.Runs runs = run("4-prefix-affinity.properties");
        assertThat(runs.verdict().met()).as(runs.verdict().measured()).isTrue();
    }
}
