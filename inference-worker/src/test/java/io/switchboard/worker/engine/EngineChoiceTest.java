package io.switchboard.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** The engine is chosen by name; an unknown name fails start-up listing the names it could have been. */
class EngineChoiceTest {
    static final Map<String, String> KNOWN = Map.of("llama", "L", "simulated", "S", "openai", "O", "llama-server", "LS");

    @Test
    void aKnownNamePicksItsFactory() {
        assertThat(EngineChoice.choose("llama-server", KNOWN)).isEqualTo("LS");
    }

    @Test
    void anUnknownNameFailsListingTheKnownNames() {
        assertThatThrownBy(() -> EngineChoice.choose("vllm", KNOWN)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("switchboard.worker.engine must be one of llama, llama-server, openai, simulated, not 'vllm'");
    }
}
