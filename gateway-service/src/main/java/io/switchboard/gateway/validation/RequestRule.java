package io.switchboard.gateway.validation;

import io.switchboard.schema.openai.ChatCompletionRequest;

/** One validation concern; throws an {@link io.switchboard.gateway.error.ApiException} naming the bad param. */
@FunctionalInterface
public interface RequestRule {
    void check(ChatCompletionRequest request, Limits limits);

    /** The configured limits rules check against. */
    record Limits(int maxTokensLimit) {
    }
}
