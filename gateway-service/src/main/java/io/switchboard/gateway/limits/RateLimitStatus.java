package io.switchboard.gateway.limits;

import java.util.function.BiConsumer;

/**
 * OpenAI's rate-limit headers for a limited tenant: the limit, what remains, and the time until the window is back
 * to its full limit, for requests and for tokens (each only when that limit applies). Where both the tenant and its
 * key limit the same thing, the tighter (least remaining) is reported.
 */
public record RateLimitStatus(long limitRequests, long remainingRequests, long resetRequestsMs, long limitTokens,
        long remainingTokens, long resetTokensMs) {

    public static final RateLimitStatus NONE = new RateLimitStatus(-1, -1, 0, -1, -1, 0);

    public void writeTo(BiConsumer<String, String> header) {
        if (limitRequests >= 0) {
            header.accept("x-ratelimit-limit-requests", Long.toString(limitRequests));
            header.accept("x-ratelimit-remaining-requests", Long.toString(remainingRequests));
            header.accept("x-ratelimit-reset-requests", duration(resetRequestsMs));
        }
        if (limitTokens >= 0) {
            header.accept("x-ratelimit-limit-tokens", Long.toString(limitTokens));
            header.accept("x-ratelimit-remaining-tokens", Long.toString(remainingTokens));
            header.accept("x-ratelimit-reset-tokens", duration(resetTokensMs));
        }
    }

    /** A duration as OpenAI writes it in these headers: {@code 20ms}, {@code 1.5s}, {@code 6m0s}. */
    static String duration(long ms) {
        ms = Math.max(0, ms);
        if (ms < 1000) {
            return ms + "ms";
        }
        if (ms < 60_000) {
            String s = String.format(java.util.Locale.ROOT, "%.3f", ms / 1000.0).replaceAll("0+$", "").replaceAll("\\.$", "");
            return s + "s";
        }
        long totalSec = (ms + 999) / 1000;
        return totalSec / 60 + "m" + totalSec % 60 + "s";
    }
}
