package io.switchboard.router.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.switchboard.router.Fixtures;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.Providers;
import io.switchboard.schema.event.WorkerHeartbeat;

/** What the registry tells flow control about the workers able to run a job. */
class WorkerRegistryTest {
    final WorkerRegistry registry = new WorkerRegistry();

    @Test
    void freeSlotsAbleToRunAJobCountOnlyWorkersWithASlotForEachOfItsChoices() {
        registry.heartbeat(Fixtures.choicesHeartbeat("a", 4, "m"), 0).assign("busy", 2);
        registry.heartbeat(Fixtures.choicesHeartbeat("b", 4, "m"), 0).assign("busier", 3);
        InferenceJob four = Fixtures.choices(Fixtures.job("four", "m", 0), 4);
        InferenceJob two = Fixtures.choices(Fixtures.job("two", "m", 0), 2);

        // three slots are free in all, but no worker has four: local capacity cannot take it now (cloud may)
        assertThat(registry.freeSlotsAbleToRun(four, Providers.LOCAL)).isZero();
        assertThat(registry.freeSlotsAbleToRun(two, Providers.LOCAL)).isEqualTo(2);
    }

    @Test
    void aJobThatNamesItsProviderCanRunOnlyOnWorkersOfThatProvider() {
        WorkerHeartbeat cloud = Fixtures.choicesHeartbeat("cloud", 4, "m");
        registry.heartbeat(new WorkerHeartbeat(cloud.v(), "cloud", cloud.models(), "openai", 4, 4, 0, List.of(), 0, 1000,
                cloud.capabilities(), Providers.CLOUD), 0);
        registry.heartbeat(Fixtures.heartbeat("local", 4, "m"), 0); // text only
        InferenceJob two = Fixtures.choices(Fixtures.job("two", "m", 0), 2);

        assertThat(registry.anyCanRun(two)).isTrue();
        InferenceJob twoLocal = new InferenceJob(two.v(), "two-local", two.requestId(), two.tenantId(), two.model(),
                two.priority(), two.messages(), two.sampling(), two.createdAtMs(), two.deadlineAtMs(), two.keyId(),
                two.serviceClass(), two.weight(), two.options(), Providers.LOCAL);
        assertThat(registry.anyCanRun(twoLocal)).isFalse();
    }
}
