package io.switchboard.gateway.tenancy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class NarrowingTest {
    static final Tenant TENANT = new Tenant("t", "t", null, 1, List.of("m1", "m2"),
            new Limits(60L, 1000L, null, null, null, 512L), Tenant.SOURCE_API, 0);

    @Test
    void aKeyMayNarrowModelsAndLimits() {
        assertThat(Narrowing.violation(TENANT, List.of("m1"), new Limits(10L, 500L, 2L, 100L, null, 100L))).isNull();
        assertThat(Narrowing.violation(TENANT, null, null)).isNull();
    }

    @Test
    void aKeyMayNotNameAModelItsTenantCannotUse() {
        assertThat(Narrowing.violation(TENANT, List.of("m3"), null)).startsWith("models:");
    }

    @Test
    void aKeyMayNotRaiseALimitOfItsTenant() {
        assertThat(Narrowing.violation(TENANT, null, new Limits(61L, null, null, null, null, null)))
                .startsWith("limits.requests_per_minute");
        assertThat(Narrowing.violation(TENANT, List.of("m1"), new Limits(null, null, null, null, null, 4096L)))
                .startsWith("limits.max_tokens");
    }

    @Test
    void aKeyMaySetALimitItsTenantLeavesUnset() {
        assertThat(Narrowing.violation(TENANT, null, new Limits(null, null, 4L, 10_000L, null, null))).isNull();
    }
}
