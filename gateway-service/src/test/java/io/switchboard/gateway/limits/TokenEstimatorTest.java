package io.switchboard.gateway.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.switchboard.schema.event.PromptMessage;

class TokenEstimatorTest {

    @Test
    void promptIsOneTokenPerFourCharactersPlusFramingPerMessage() {
        assertThat(TokenEstimator.promptTokens(List.of())).isEqualTo(3);
        assertThat(TokenEstimator.promptTokens(List.of(new PromptMessage("user", "hi")))).isEqualTo(3 + 4 + 1);
        assertThat(TokenEstimator.promptTokens(List.of(new PromptMessage("system", "12345678"), new PromptMessage("user", "123456789"))))
                .isEqualTo(3 + 4 + 2 + 4 + 3);
    }
}
