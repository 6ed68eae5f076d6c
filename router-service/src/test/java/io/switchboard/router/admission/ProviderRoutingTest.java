package io.switchboard.router.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.switchboard.router.admission.ProviderRouting.Allowed;

/** Where a job may run, as a table: (requested provider, local capacity, predicted local wait) → allowed providers. */
class ProviderRoutingTest {
    static final long BOUND = 2_000;

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("forced local stays local even when local is down", "local", 0, 0, OptionalLong.empty(),
                        Allowed.LOCAL_ONLY),
                Arguments.of("forced cloud goes to the cloud even with free local slots", "cloud", 8, 8, OptionalLong.of(0),
                        Allowed.CLOUD_ONLY),
                Arguments.of("automatic with a free local slot runs locally", null, 8, 1, OptionalLong.of(60_000),
                        Allowed.LOCAL_ONLY),
                Arguments.of("automatic with local down may use the cloud", null, 0, 0, OptionalLong.empty(), Allowed.BOTH),
                Arguments.of("automatic, local full but the wait is short: waits for local", null, 8, 0, OptionalLong.of(1_500),
                        Allowed.LOCAL_ONLY),
                Arguments.of("automatic, local full and the wait is beyond the bound: overflows", null, 8, 0,
                        OptionalLong.of(2_500), Allowed.BOTH),
                Arguments.of("automatic, local full, no service time measured yet: waits for local", null, 8, 0,
                        OptionalLong.empty(), Allowed.LOCAL_ONLY));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decidesWhereAJobMayRun(String name, String requested, int liveLocal, int freeLocal, OptionalLong wait, Allowed expected) {
        assertThat(ProviderRouting.allowed(requested, liveLocal, freeLocal, wait, BOUND)).isEqualTo(expected);
    }
}
