package io.switchboard.gateway.validation;

import io.switchboard.gateway.auth.Caller;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.schema.openai.ChatCompletionRequest;

/** What a tenant (and its key) may ask for: only its models, and no more completion tokens than its cap. */
public final class TenantRules {
    private TenantRules() {
    }

    public static void check(Caller caller, ChatCompletionRequest r) {
        if (!caller.mayUse(r.model())) {
            throw new ApiException(404, "invalid_request_error", "model", "model_not_found",
                    "The model '" + r.model() + "' does not exist or you do not have access to it.");
        }
        Long cap = caller.maxTokensCap();
        if (cap == null) {
            return;
        }
        if (r.maxCompletionTokens() != null && r.maxCompletionTokens() > cap) {
            throw ApiException.invalidValue("max_completion_tokens", "Invalid 'max_completion_tokens': " + r.maxCompletionTokens()
                    + " is more than this API key may ask for (" + cap + ").");
        }
        if (r.maxTokens() != null && r.maxTokens() > cap) {
            throw ApiException.invalidValue("max_tokens",
                    "Invalid 'max_tokens': " + r.maxTokens() + " is more than this API key may ask for (" + cap + ").");
        }
    }
}
