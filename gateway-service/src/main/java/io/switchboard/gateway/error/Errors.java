package io.switchboard.gateway.error;

import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.TokenEvent;

/**
 * The one mapping from anything that can go wrong to an {@link ApiException}: bad JSON, wrong
 * types, job failures, timeouts, infrastructure errors. Never leaks a stack trace.
 */
public final class Errors {
    private Errors() {
    }

    public static ApiException from(Throwable t) {
        if (t instanceof ApiException api) {
            return api;
        }
        if (t instanceof MismatchedInputException mismatch) {
            String param = paramOf(mismatch);
            String expected = expectedType(mismatch.getTargetType());
            return ApiException.invalid(param, "invalid_type",
                    "Invalid type for '" + (param == null ? "body" : param) + "'" + (expected == null ? "." : ": expected " + expected + "."));
        }
        if (t instanceof JsonProcessingException) {
            return ApiException.invalid(null, "invalid_json",
                    "We could not parse the JSON body of your request. The body must be a valid JSON object.");
        }
        if (t instanceof TimeoutException) {
            return ApiException.timeout("The request did not complete within the configured timeout.");
        }
        return ApiException.unavailable("service_unavailable", "The service is temporarily unavailable; try again.");
    }

    public static ApiException from(TokenEvent.Failure failure) {
        String type = FailureCode.errorTypeOf(failure.code());
        ApiException error = new ApiException(failure.status(), type, null, failure.code(), failure.message());
        Long retryAfterMs = failure.retryAfterMs();
        return retryAfterMs == null ? error : error.withRetryAfter(retryAfterMs);
    }

    /** {@code messages[0].role} style path of a Jackson mapping error. */
    static String paramOf(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.isEmpty() ? null : sb.toString();
    }

    private static String expectedType(Class<?> type) {
        if (type == null) {
            return null;
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (Number.class.isAssignableFrom(type) || type == double.class) {
            return "a number";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "a boolean";
        }
        if (java.util.Collection.class.isAssignableFrom(type)) {
            return "an array";
        }
        return "an object";
    }
}
