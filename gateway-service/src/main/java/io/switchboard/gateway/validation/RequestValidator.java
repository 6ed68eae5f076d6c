package io.switchboard.gateway.validation;

import java.util.List;

import io.switchboard.schema.openai.ChatCompletionRequest;

/** Runs the rules in order; the first broken one is reported. */
public final class RequestValidator {
    private final List<RequestRule> rules;
    private final RequestRule.Limits limits;

    public RequestValidator(List<RequestRule> rules, RequestRule.Limits limits) {
        this.rules = List.copyOf(rules);
        this.limits = limits;
    }

    public static RequestValidator standard(int maxTokensLimit) {
        return new RequestValidator(Rules.ALL, new RequestRule.Limits(maxTokensLimit));
    }

    public void validate(ChatCompletionRequest request) {
        for (RequestRule rule : rules) {
            rule.check(request, limits);
        }
    }
}
