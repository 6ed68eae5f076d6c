package io.switchboard.worker.capacity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.Providers;

/** When a failed job is given back to the router (to run in the cloud) instead of ended, as a table. */
class HandBackTest {

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("the local engine is down before any output", FailureCode.ENGINE_UNAVAILABLE, false, null,
                        Providers.LOCAL, false, true),
                Arguments.of("the local engine answered 500", FailureCode.INFERENCE_FAILED, false, null, Providers.LOCAL,
                        false, true),
                Arguments.of("the local engine is busy", FailureCode.ENGINE_OVERLOADED, false, null, Providers.LOCAL,
                        false, true),
                Arguments.of("it did not fail", null, false, null, Providers.LOCAL, false, false),
                Arguments.of("a token was sent: never after the first token", FailureCode.ENGINE_TIMEOUT, true, null,
                        Providers.LOCAL, false, false),
                Arguments.of("the request is at fault, not the engine", FailureCode.CONTEXT_LENGTH_EXCEEDED, false, null,
                        Providers.LOCAL, false, false),
                Arguments.of("the request asked for local", FailureCode.ENGINE_UNAVAILABLE, false, Providers.LOCAL,
                        Providers.LOCAL, false, false),
                Arguments.of("a cloud worker has nowhere to fall back to", FailureCode.ENGINE_UNAVAILABLE, false, null,
                        Providers.CLOUD, false, false),
                Arguments.of("cancelled, past its deadline or draining", FailureCode.ENGINE_UNAVAILABLE, false, null,
                        Providers.LOCAL, true, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void aJobIsHandedBackOnlyWhenItsLocalEngineFailedOnItsOwnSideBeforeAnyOutput(String name, FailureCode failure,
            boolean produced, String jobProvider, String workerProvider, boolean stopped, boolean expected) {
        assertThat(JobRunner.mayHandBack(failure, produced, jobProvider, workerProvider, stopped)).isEqualTo(expected);
    }
}
