package io.switchboard.gateway.error;

import java.util.LinkedHashMap;
import java.util.Map;

import io.switchboard.schema.openai.ErrorResponse;

/**
 * An error the client gets as an OpenAI envelope with {@code status}. Thrown by validation, auth and
 * the request path; turned into a response in exactly one place per transport.
 */
public class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Map<String, String> headers;

    public ApiException(int status, String type, String param, String code, String message) {
        this(status, type, param, code, message, Map.of());
    }

    private ApiException(int status, String type, String param, String code, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.headers = headers;
    }

    /** The same error with one more response header (such as {@code retry-after}). */
    public ApiException withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new ApiException(status, type, param, code, getMessage(), Map.copyOf(more));
    }

    /**
     * 429 as OpenAI answers it: {@code rate_limit_exceeded} (type {@code requests} or {@code tokens}) for a rate,
     * {@code insufficient_quota} for an exhausted budget; with {@code retry-after} (seconds, rounded up) and
     * {@code retry-after-ms}, which the official SDKs read.
     */
    public static ApiException tooManyRequests(String type, String code, String message, long retryAfterMs) {
        return new ApiException(429, type, null, code, message).withRetryAfter(retryAfterMs);
    }

    /** The same error telling the client when to try again: {@code retry-after} (seconds, rounded up) and {@code retry-after-ms}. */
    public ApiException withRetryAfter(long retryAfterMs) {
        return withHeader("retry-after", Long.toString(Math.max(1, (retryAfterMs + 999) / 1000)))
                .withHeader("retry-after-ms", Long.toString(Math.max(0, retryAfterMs)));
    }

    public static ApiException invalid(String param, String code, String message) {
        return new ApiException(400, "invalid_request_error", param, code, message);
    }

    public static ApiException invalidValue(String param, String message) {
        return invalid(param, "invalid_value", message);
    }

    public static ApiException unsupported(String param, String message) {
        return invalid(param, "unsupported_parameter", message);
    }

    public static ApiException unauthorized(String message) {
        return new ApiException(401, "invalid_request_error", null, "invalid_api_key", message);
    }

    public static ApiException modelNotFound(String model) {
        return new ApiException(404, "invalid_request_error", "model", "model_not_found",
                "The model '" + model + "' does not exist or is not served here.");
    }

    public static ApiException unavailable(String code, String message) {
        return new ApiException(503, "service_unavailable_error", null, code, message);
    }

    public static ApiException timeout(String message) {
        return new ApiException(504, "timeout_error", null, "request_timeout", message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public ErrorResponse body() {
        return ErrorResponse.of(getMessage(), type, param, code);
    }
}
