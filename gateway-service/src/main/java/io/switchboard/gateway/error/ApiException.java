package io.switchboard.gateway.error;

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

    public ApiException(int status, String type, String param, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
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

    public ErrorResponse body() {
        return ErrorResponse.of(getMessage(), type, param, code);
    }
}
