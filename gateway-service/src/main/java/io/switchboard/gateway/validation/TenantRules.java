package io.switchboard.gateway.validation;

import io.switchboard.gateway.auth.Caller;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.tenancy.Limits;
import io.switchboard.schema.openai.ChatCompletionRequest;

/** What a tenant (and its key) may ask for: only its models, and no more completion tokens than its cap. */
public final class TenantRules {
    /** What a request may never need more tokens than, whatever else runs: a window or budget as a whole. */
    private static final String[] WHOLE_LIMITS = { "tokens_per_minute", "tokens_per_day", "tokens_per_month" };
    private TenantRules() {
    }

    public static void check(Caller caller, ChatCompletionRequest r) {
        check(caller, r, r.model());
    }

    /** @param model the model the request runs on (the one an alias stands for): what the tenant must be allowed */
    public static void check(Caller caller, ChatCompletionRequest r, String model) {
        if (!caller.mayUse(model) && !caller.mayUse(r.model())) {
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

    /**
     * A request whose token reservation is larger than one of its limits as a whole can never be admitted: 400 (not a
     * 429 that a client would retry forever), naming the parameter to lower.
     */
    public static void checkFits(Caller caller, ChatCompletionRequest r, long tokens) {
        for (Limits limits : new Limits[] { caller.tenant().limits(), caller.key().limits() }) {
            Long[] whole = { limits.tokensPerMinute(), limits.tokensPerDay(), limits.tokensPerMonth() };
            for (int i = 0; i < whole.length; i++) {
                if (whole[i] != null && tokens > whole[i]) {
                    String param = r.maxCompletionTokens() != null ? "max_completion_tokens"
                            : r.maxTokens() != null ? "max_tokens" : "messages";
                    throw ApiException.invalid(param, "request_too_large", "This request may need up to " + tokens
                            + " tokens (its prompt, bounded, plus max_tokens), more than the whole " + WHOLE_LIMITS[i]
                            + " limit of " + whole[i] + ": lower max_tokens or shorten the prompt.");
                }
            }
        }
    }
}
