package io.switchboard.gateway.auth;

import io.switchboard.gateway.error.ApiException;

/** Reads the bearer token of an {@code Authorization} header, or answers 401 as OpenAI does. */
final class Bearer {
    private Bearer() {
    }

    static String token(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            throw ApiException.unauthorized("You didn't provide an API key. Provide it in the Authorization header "
                    + "as 'Bearer YOUR_KEY'.");
        }
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7) || authorization.substring(7).isBlank()) {
            throw ApiException.unauthorized("The Authorization header must be 'Bearer YOUR_KEY'.");
        }
        return authorization.substring(7).trim();
    }
}
