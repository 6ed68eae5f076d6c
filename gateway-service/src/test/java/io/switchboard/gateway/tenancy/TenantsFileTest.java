package io.switchboard.gateway.tenancy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.validation.Validation;
import jakarta.validation.Validator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.switchboard.schema.event.ServiceClass;

class TenantsFileTest {
    static final Validator VALIDATOR = Validation.buildDefaultValidatorFactory().getValidator();
    static final String HASH = "f3abf2a6cc4f00987743db5f544ba345b4899ae31f326d8ee9c4816de153c9e0";

    @Test
    void tenantsAndTheirHashedKeysAreRead() {
        TenantsFile.Declared d = TenantsFile.parse("""
                tenants:
                  - id: team-a
                    class: critical
                    weight: 2
                    models: [m1]
                    limits: {requests_per_minute: 60, tokens_per_day: 1000, max_tokens: 256}
                    keys:
                      - id: key_a
                        sha256: %s
                        limits: {requests_per_minute: 10}
                  - id: team-b
                """.formatted(HASH), 7, VALIDATOR);
        assertThat(d.tenants()).hasSize(2);
        Tenant a = d.tenants().get(0);
        assertThat(a.serviceClass()).isEqualTo(ServiceClass.CRITICAL);
        assertThat(a.weight()).isEqualTo(2.0);
        assertThat(a.limits().requestsPerMinute()).isEqualTo(60);
        assertThat(a.limits().maxTokens()).isEqualTo(256);
        assertThat(a.source()).isEqualTo(Tenant.SOURCE_FILE);
        Tenant b = d.tenants().get(1);
        assertThat(b.serviceClass()).isEqualTo(ServiceClass.STANDARD);
        assertThat(b.models()).isNull();
        assertThat(b.limits().any()).isFalse();
        assertThat(d.keys()).singleElement().satisfies(k -> {
            assertThat(k.tenantId()).isEqualTo("team-a");
            assertThat(k.sha256()).isEqualTo(HASH);
            assertThat(k.limits().requestsPerMinute()).isEqualTo(10);
        });
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "bad id|tenants: [{id: Team A}]|tenants[0].id",
            "unknown class|tenants: [{id: a, class: gold}]|tenants[0].class: must be critical, standard or batch",
            "negative weight|tenants: [{id: a, weight: -1}]|tenants[0].weight",
            "negative limit|'tenants: [{id: a, limits: {requests_per_minute: -5}}]'|requests_per_minute",
            "unknown field|tenants: [{id: a, colour: red}]|colour",
            "duplicate tenant|tenants: [{id: a}, {id: a}]|declared twice",
            "key without hash|'tenants: [{id: a, keys: [{id: key_x}]}]'|needs its id and sha256",
            "key hash not hex|'tenants: [{id: a, keys: [{id: key_x, sha256: nothex}]}]'|sha256",
            "key widens a limit|'tenants: [{id: a, limits: {requests_per_minute: 5}, keys: [{id: key_x, sha256: " + HASH
                    + ", limits: {requests_per_minute: 50}}]}]'|never widen",
            "key names another model|'tenants: [{id: a, models: [m1], keys: [{id: key_x, sha256: " + HASH
                    + ", models: [m2]}]}]'|may not use",
    })
    void aFileWithAnErrorIsRefusedWholeNamingTheError(String why, String yaml, String named) {
        assertThatThrownBy(() -> TenantsFile.parse(yaml, 0, VALIDATOR))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(named);
    }
}
