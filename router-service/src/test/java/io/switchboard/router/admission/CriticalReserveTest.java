package io.switchboard.router.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.switchboard.schema.event.ServiceClass;

/** Slots held back for critical jobs, as a table: (band, job slots, free, total, share, critical recently) → held back. */
class CriticalReserveTest {

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("batch may not take the last reserved slots", ServiceClass.BATCH, 1, 4, 32, 0.125, true, true),
                Arguments.of("batch takes a slot above the reserve", ServiceClass.BATCH, 1, 5, 32, 0.125, true, false),
                Arguments.of("standard is held back like batch", ServiceClass.STANDARD, 1, 1, 8, 0.125, true, true),
                Arguments.of("critical takes the reserved slots", ServiceClass.CRITICAL, 1, 1, 32, 0.125, true, false),
                Arguments.of("no critical traffic lately: nothing held back", ServiceClass.BATCH, 1, 1, 32, 0.125, false, false),
                Arguments.of("a reserve of 0 holds nothing back", ServiceClass.BATCH, 1, 0, 32, 0.0, true, false),
                Arguments.of("a small pool still keeps one slot", ServiceClass.BATCH, 1, 1, 2, 0.125, true, true),
                Arguments.of("two choices may not eat into the reserve", ServiceClass.BATCH, 2, 5, 32, 0.125, true, true),
                Arguments.of("two choices fit above the reserve", ServiceClass.BATCH, 2, 6, 32, 0.125, true, false),
                Arguments.of("a pool of one slot keeps none: lower bands are never shut out", ServiceClass.BATCH, 1, 1, 1,
                        0.125, true, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void holdsBackLowerBandsFromTheLastSlotsWhileCriticalJobsArrive(String name, ServiceClass band, int jobSlots, int free,
            int total, double share, boolean recent, boolean expected) {
        assertThat(CriticalReserve.holdsBack(band, jobSlots, free, total, share, recent)).isEqualTo(expected);
    }
}
