package io.switchboard.worker.engine.openai;

import java.net.ConnectException;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.wire.Json;
import io.switchboard.worker.engine.EngineException;

/**
 * Turns what went wrong upstream into the failure the client sees: an HTTP status with the upstream's own message
 * (sanitized: one line, printable, bounded), a transport failure, a timeout, or output that is not OpenAI's.
 */
final class UpstreamFailures {
    private static final int MAX_MESSAGE = 300;

    private UpstreamFailures() {
    }

    /** The failure code for an upstream HTTP status. */
    static FailureCode codeOf(int status) {
        return switch (status) {
            case 429, 503 -> FailureCode.ENGINE_OVERLOADED;
            case 400, 422 -> FailureCode.ENGINE_REJECTED_REQUEST;
            default -> FailureCode.INFERENCE_FAILED;
        };
    }

    /** An error answer (status {@code status}, body {@code body}). */
    static EngineException status(int status, String body, int promptTokens, int completionTokens) {
        String what = switch (status) {
            case 401, 403 -> "The engine refused the worker's credentials";
            case 404 -> "The engine does not serve this model or endpoint";
            default -> "The engine answered " + status;
        };
        String message = message(body);
        return new EngineException(codeOf(status), message.isEmpty() ? what + "." : what + ": " + message, null,
                promptTokens, completionTokens);
    }

    /** An {@code error} object sent inside a stream (the upstream failed after it began answering). */
    static EngineException inStream(JsonNode error, int promptTokens, int completionTokens) {
        int status = error.path("code").canConvertToInt() ? error.path("code").asInt() : 500;
        String message = sanitize(error.path("message").asText(""));
        return new EngineException(codeOf(status), "The engine failed while answering" + (message.isEmpty() ? "." : ": "
                + message), null, promptTokens, completionTokens);
    }

    /** A transport failure: refused or dropped connection, connect timeout. */
    static EngineException transport(Throwable cause, int promptTokens, int completionTokens) {
        if (cause instanceof io.netty.channel.ConnectTimeoutException) {
            return new EngineException(FailureCode.ENGINE_TIMEOUT, "The engine did not accept a connection in time.",
                    cause, promptTokens, completionTokens);
        }
        if (cause instanceof java.util.concurrent.TimeoutException) {
            return timeout(promptTokens, completionTokens);
        }
        if (UpstreamTls.certificateRefused(cause)) {
            // during the handshake: nothing was sent
            return new EngineException(FailureCode.ENGINE_UNAVAILABLE,
                    "The engine's TLS certificate was not accepted (untrusted, or not for its host name).", cause,
                    promptTokens, completionTokens);
        }
        String what = cause instanceof ConnectException ? "The engine cannot be reached"
                : "The connection to the engine was lost";
        return new EngineException(FailureCode.ENGINE_UNAVAILABLE, what + ".", cause, promptTokens, completionTokens);
    }

    static EngineException timeout(int promptTokens, int completionTokens) {
        return new EngineException(FailureCode.ENGINE_TIMEOUT, "The engine stopped answering within the worker's timeout.",
                null, promptTokens, completionTokens);
    }

    static EngineException badOutput(String what, int promptTokens, int completionTokens) {
        return new EngineException(FailureCode.BAD_ENGINE_OUTPUT, "The engine's answer is not a valid OpenAI response: "
                + sanitize(what), null, promptTokens, completionTokens);
    }

    /** The upstream's own message from an OpenAI-style error body, else the body itself; sanitized. */
    static String message(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        try {
            JsonNode node = Json.MAPPER.readTree(body);
            JsonNode error = node.path("error");
            if (error.isObject() && error.path("message").isTextual()) {
                return sanitize(error.path("message").asText());
            }
            if (error.isTextual()) {
                return sanitize(error.asText());
            }
            if (node.path("message").isTextual()) {
                return sanitize(node.path("message").asText());
            }
        } catch (Exception notJson) {
            // fall through to the raw text
        }
        return sanitize(body);
    }

    /** One printable line of at most {@link #MAX_MESSAGE} characters, with bearer tokens blanked. */
    static String sanitize(String text) {
        String oneLine = text.replaceAll("[\\p{Cntrl}&&[^\t]]+", " ").replaceAll("\\s+", " ").strip();
        oneLine = oneLine.replaceAll("(?i)(bearer\\s+|sk-)[A-Za-z0-9._\\-]{4,}", "$1***");
        return oneLine.length() <= MAX_MESSAGE ? oneLine : oneLine.substring(0, MAX_MESSAGE) + "…";
    }
}
