package io.switchboard.gateway.tenancy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.PositiveOrZero;

/**
 * A tenant's (or one key's) limits; {@code null} means unlimited. Requests and tokens per minute are sliding
 * windows of 60 s; the daily and monthly token budgets are hard and count by UTC day and month; tokens are prompt
 * plus completion. {@code maxTokens} caps {@code max_tokens} / {@code max_completion_tokens} of one request.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Limits(
        @PositiveOrZero @Max(1_000_000) Long requestsPerMinute,
        @PositiveOrZero Long tokensPerMinute,
        @PositiveOrZero @Max(1_000_000) Long maxConcurrentRequests,
        @PositiveOrZero Long tokensPerDay,
        @PositiveOrZero Long tokensPerMonth,
        @PositiveOrZero @Max(10_000_000) Long maxTokens) {

    public static final Limits NONE = new Limits(null, null, null, null, null, null);

    public static Limits orNone(Limits limits) {
        return limits == null ? NONE : limits;
    }

    /** Whether any limit needs counting in Redis ({@code maxTokens} alone is checked locally). */
    public boolean counted() {
        return requestsPerMinute != null || tokensPerMinute != null || maxConcurrentRequests != null
                || tokensPerDay != null || tokensPerMonth != null;
    }

    public boolean any() {
        return counted() || maxTokens != null;
    }

    /** The name of the first limit of {@code narrower} that is unset or larger than this one's; null when it narrows. */
    public String firstWidenedBy(Limits narrower) {
        Limits n = orNone(narrower);
        if (widens(requestsPerMinute, n.requestsPerMinute)) {
            return "requests_per_minute";
        }
        if (widens(tokensPerMinute, n.tokensPerMinute)) {
            return "tokens_per_minute";
        }
        if (widens(maxConcurrentRequests, n.maxConcurrentRequests)) {
            return "max_concurrent_requests";
        }
        if (widens(tokensPerDay, n.tokensPerDay)) {
            return "tokens_per_day";
        }
        if (widens(tokensPerMonth, n.tokensPerMonth)) {
            return "tokens_per_month";
        }
        if (widens(maxTokens, n.maxTokens)) {
            return "max_tokens";
        }
        return null;
    }

    /** A key's limit widens its tenant's when the tenant has a limit and the key's is larger. */
    private static boolean widens(Long tenant, Long key) {
        return tenant != null && key != null && key > tenant;
    }

    /** The smaller of two optional caps. */
    public static Long tighter(Long a, Long b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return Math.min(a, b);
    }
}
