package io.switchboard.gateway.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class RateLimitStatusTest {

    @ParameterizedTest
    @CsvSource({ "0,0ms", "20,20ms", "999,999ms", "1000,1s", "1500,1.5s", "59999,59.999s", "60000,1m0s", "360000,6m0s",
            "61001,1m2s" })
    void resetsAreWrittenAsOpenAiWritesThem(long ms, String written) {
        assertThat(RateLimitStatus.duration(ms)).isEqualTo(written);
    }

    @Test
    void onlyTheLimitsThatApplyGetHeaders() {
        Map<String, String> headers = new LinkedHashMap<>();
        new RateLimitStatus(60, 59, 60_000, -1, -1, 0).writeTo(headers::put);
        assertThat(headers).containsOnlyKeys("x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
                "x-ratelimit-reset-requests");
        assertThat(headers).containsEntry("x-ratelimit-remaining-requests", "59");
    }

    @Test
    void budgetsResetAtTheEndOfTheUtcDayAndMonth() {
        long noon = java.time.Instant.parse("2026-11-23T12:00:00Z").toEpochMilli();
        assertThat(Admission.msToDayEnd(noon)).isEqualTo(12 * 3_600_000L);
        assertThat(Admission.msToMonthEnd(noon)).isEqualTo((7 * 24 + 12) * 3_600_000L);
    }
}
