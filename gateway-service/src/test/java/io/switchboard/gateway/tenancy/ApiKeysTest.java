package io.switchboard.gateway.tenancy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ApiKeysTest {

    @Test
    void aKeyIsSkSbWith256RandomBitsAndNeverRepeats() {
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String key = ApiKeys.newKey();
            assertThat(key).startsWith("sk-sb-").matches("sk-sb-[A-Za-z0-9_-]{43}");
            keys.add(key);
        }
        assertThat(keys).hasSize(1000);
    }

    @Test
    void theStoredHashIsTheHexSha256ThatSha256sumPrints() {
        // printf %s sk-test | sha256sum
        assertThat(ApiKeys.sha256("sk-test")).isEqualTo("f3abf2a6cc4f00987743db5f544ba345b4899ae31f326d8ee9c4816de153c9e0");
    }

    @Test
    void onlyAShortPrefixIsKeptForDisplay() {
        String key = ApiKeys.newKey();
        assertThat(ApiKeys.prefixOf(key)).hasSize(12).isEqualTo(key.substring(0, 12));
    }
}
