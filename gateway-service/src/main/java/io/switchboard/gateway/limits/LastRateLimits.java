package io.switchboard.gateway.limits;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

import jakarta.enterprise.context.ApplicationScoped;

import io.switchboard.gateway.auth.Caller;

/**
 * The rate-limit status each key last got from admission on this gateway, so that a limited tenant's other
 * responses (a 400 before admission, {@code /v1/models}, {@code /v1/usage}) carry OpenAI's {@code x-ratelimit-*}
 * headers too, without a Redis round trip: they show the figures of that key's latest admission here.
 */
@ApplicationScoped
public class LastRateLimits {
    private final Map<String, RateLimitStatus> byKey = new ConcurrentHashMap<>();

    public void remember(Caller caller, RateLimitStatus status) {
        if (status.limitRequests() >= 0 || status.limitTokens() >= 0) {
            byKey.put(caller.keyId(), status);
        }
    }

    /** Writes the key's last known headers, if it has any. */
    public void writeTo(Caller caller, BiConsumer<String, String> header) {
        RateLimitStatus status = caller == null ? null : byKey.get(caller.keyId());
        if (status != null) {
            status.writeTo(header);
        }
    }
}
