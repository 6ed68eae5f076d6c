package io.switchboard.gateway.job;

import io.switchboard.gateway.auth.Caller;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.limits.AdmissionDecision;

/** The 429 a refused request gets, worded as OpenAI words it, with the rate-limit headers of the tenant. */
final class RateLimitErrors {
    private RateLimitErrors() {
    }

    static ApiException refused(Caller caller, AdmissionDecision d, long reservedTokens) {
        String wait = " Please try again in " + seconds(d.retryAfterMs()) + ".";
        String who = " for tenant '" + caller.tenantId() + "'";
        ApiException error = switch (d.refusedBy()) {
            case "requests_per_minute" -> ApiException.tooManyRequests("requests", "rate_limit_exceeded",
                    "Rate limit reached for requests per minute (RPM)" + who + "." + wait, d.retryAfterMs());
            case "tokens_per_minute" -> ApiException.tooManyRequests("tokens", "rate_limit_exceeded",
                    "Rate limit reached for tokens per minute (TPM)" + who + ": this request needs up to " + reservedTokens
                            + " tokens (prompt estimate plus max_tokens)." + wait, d.retryAfterMs());
            case "max_concurrent_requests" -> ApiException.tooManyRequests("requests", "rate_limit_exceeded",
                    "Too many concurrent requests" + who + "." + wait, d.retryAfterMs());
            case "tokens_per_day" -> ApiException.tooManyRequests("insufficient_quota", "insufficient_quota",
                    "You exceeded your daily token budget" + who + " (this request needs up to " + reservedTokens
                            + " tokens). The budget resets at 00:00 UTC.", d.retryAfterMs());
            default -> ApiException.tooManyRequests("insufficient_quota", "insufficient_quota",
                    "You exceeded your monthly token budget" + who + " (this request needs up to " + reservedTokens
                            + " tokens). The budget resets on the first of the month, 00:00 UTC.", d.retryAfterMs());
        };
        ApiException[] withHeaders = { error };
        d.status().writeTo((name, value) -> withHeaders[0] = withHeaders[0].withHeader(name, value));
        return withHeaders[0];
    }

    private static String seconds(long ms) {
        return ms < 1000 ? ms + "ms" : String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
    }
}
