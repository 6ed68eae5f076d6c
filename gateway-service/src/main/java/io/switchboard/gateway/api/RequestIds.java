package io.switchboard.gateway.api;

import java.util.UUID;
import java.util.regex.Pattern;

/** The {@code x-request-id} of a request: the client's, when it is a sane token, else a new one. */
public final class RequestIds {
    public static final String HEADER = "x-request-id";
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private RequestIds() {
    }

    public static String resolve(String fromClient) {
        return fromClient != null && SANE.matcher(fromClient).matches() ? fromClient
                : "req_" + UUID.randomUUID().toString().replace("-", "");
    }
}
