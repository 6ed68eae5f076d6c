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

    @Test
    void aRequestForNChoicesReservesMaxTokensForEachOfThem() {
        var messages = List.of(new PromptMessage("user", "hi"));
        var sampling = new io.switchboard.schema.event.SamplingParams(1, 1, null, null, 100, List.of(), null, 0, 0, false);
        var one = new io.switchboard.schema.event.InferenceJob(3, "j", "r", "t", "m", 0, messages, sampling, 0, 1, null, null,
                1.0);
        var eight = one.withOptions(new io.switchboard.schema.event.GenerationOptions(8, false, null, null, null, null, null,
                null));
        assertThat(TokenEstimator.reservation(one)).isEqualTo(42 + 100);
        assertThat(TokenEstimator.reservation(eight)).isEqualTo(42 + 800);
    }
}
