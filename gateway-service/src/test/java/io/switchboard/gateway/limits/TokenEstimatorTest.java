package io.switchboard.gateway.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.switchboard.schema.event.PromptMessage;

class TokenEstimatorTest {

    @Test
    void promptBoundIsOneTokenPerUtf8BytePlusFraming() {
        assertThat(TokenEstimator.promptTokens(List.of())).isEqualTo(32);
        assertThat(TokenEstimator.promptTokens(List.of(new PromptMessage("user", "hi")))).isEqualTo(32 + 8 + 2);
        assertThat(TokenEstimator.promptTokens(List.of(new PromptMessage("system", "12345678"), new PromptMessage("user", "日本"))))
                .isEqualTo(32 + 8 + 8 + 8 + 6);
    }
}
