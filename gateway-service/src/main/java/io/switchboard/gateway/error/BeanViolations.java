package io.switchboard.gateway.error;

import java.util.Comparator;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Path;

/** Turns Bean Validation's verdict on an admin or config body into one OpenAI 400 naming the first bad field. */
public final class BeanViolations {
    private BeanViolations() {
    }

    public static ApiException toApiException(ConstraintViolationException e) {
        ConstraintViolation<?> first = e.getConstraintViolations().stream()
                .min(Comparator.comparing(v -> param(v.getPropertyPath()))).orElse(null);
        if (first == null) {
            return ApiException.invalid(null, "invalid_value", "The request body is not valid.");
        }
        String param = param(first.getPropertyPath());
        return ApiException.invalidValue(param, "Invalid '" + param + "': " + first.getMessage() + ".");
    }

    /** {@code limits.requests_per_minute} from a property path such as {@code create.body.limits.requestsPerMinute}. */
    public static String param(Path path) {
        StringBuilder sb = new StringBuilder();
        for (Path.Node node : path) {
            if (node.getKind() == jakarta.validation.ElementKind.METHOD || node.getKind() == jakarta.validation.ElementKind.PARAMETER) {
                continue;
            }
            if (node.getName() == null) {
                continue;
            }
            if (!sb.isEmpty()) {
                sb.append('.');
            }
            String name = snake(node.getName());
            sb.append("service_class".equals(name) ? "class" : name);
            if (node.getIndex() != null) {
                sb.append('[').append(node.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }
}
