package io.switchboard.gateway.validation;

import static io.switchboard.gateway.error.ApiException.invalid;
import static io.switchboard.gateway.error.ApiException.invalidValue;
import static io.switchboard.gateway.error.ApiException.unsupported;

import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.openai.ChatCompletionRequest;
import io.switchboard.schema.openai.ChatMessage;

/** The validation rules of {@code POST /v1/chat/completions}, one per concern, checked in this order. */
public final class Rules {
    private Rules() {
    }

    static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    public static final RequestRule MODEL = (r, l) -> {
        if (r.model() == null || r.model().isBlank()) {
            throw invalid("model", "missing_required_parameter", "Missing required parameter: 'model'.");
        }
    };

    public static final RequestRule MESSAGES = (r, l) -> {
        if (r.messages() == null) {
            throw invalid("messages", "missing_required_parameter", "Missing required parameter: 'messages'.");
        }
        if (r.messages().isEmpty()) {
            throw invalid("messages", "empty_array",
                    "Invalid 'messages': empty array. Expected an array with minimum length 1.");
        }
        for (int i = 0; i < r.messages().size(); i++) {
            checkMessage(r.messages().get(i), "messages[" + i + "]");
        }
    };

    private static void checkMessage(ChatMessage m, String at) {
        if (m == null) {
            throw invalid(at, "invalid_type", "Invalid type for '" + at + "': expected an object.");
        }
        if (m.role() == null) {
            throw invalid(at + ".role", "missing_required_parameter", "Missing required parameter: '" + at + ".role'.");
        }
        if (!ROLES.contains(m.role())) {
            throw invalidValue(at + ".role", "Invalid value: '" + m.role() + "'. Supported values are: "
                    + "'system', 'developer', 'user', 'assistant' and 'tool'.");
        }
        JsonNode content = m.content();
        boolean assistantWithToolCalls = "assistant".equals(m.role()) && m.toolCalls() != null && !m.toolCalls().isNull();
        if (content == null || content.isNull()) {
            if (!assistantWithToolCalls) {
                throw invalid(at + ".content", "missing_required_parameter",
                        "Missing required parameter: '" + at + ".content'.");
            }
            return;
        }
        if (content.isTextual()) {
            return;
        }
        if (!content.isArray()) {
            throw invalid(at + ".content", "invalid_type",
                    "Invalid type for '" + at + ".content': expected a string or an array of content parts.");
        }
        for (int j = 0; j < content.size(); j++) {
            JsonNode part = content.get(j);
            String p = at + ".content[" + j + "]";
            if (!part.isObject() || !part.path("type").isTextual()) {
                throw invalid(p, "invalid_type", "Invalid type for '" + p + "': expected a content part object with a 'type'.");
            }
            String type = part.get("type").asText();
            if (!"text".equals(type)) {
                throw unsupported(p + ".type", "Content part type '" + type + "' is not supported by this model; only 'text' is.");
            }
            if (!part.path("text").isTextual()) {
                throw invalid(p + ".text", "invalid_type", "Invalid type for '" + p + ".text': expected a string.");
            }
        }
    }

    public static final RequestRule TEMPERATURE = (r, l) -> range("temperature", r.temperature(), 0, 2);

    public static final RequestRule TOP_P = (r, l) -> range("top_p", r.topP(), 0, 1);

    public static final RequestRule PENALTIES = (r, l) -> {
        range("presence_penalty", r.presencePenalty(), -2, 2);
        range("frequency_penalty", r.frequencyPenalty(), -2, 2);
    };

    public static final RequestRule MAX_TOKENS = (r, l) -> {
        intRange("max_tokens", r.maxTokens(), 1, l.maxTokensLimit());
        intRange("max_completion_tokens", r.maxCompletionTokens(), 1, l.maxTokensLimit());
    };

    public static final RequestRule STOP = (r, l) -> {
        List<String> stop = r.stop();
        if (stop == null) {
            return;
        }
        if (stop.size() > 4) {
            throw invalidValue("stop", "Invalid 'stop': at most 4 stop sequences are allowed.");
        }
        if (stop.stream().anyMatch(String::isEmpty)) {
            throw invalidValue("stop", "Invalid 'stop': stop sequences must not be empty.");
        }
    };

    public static final RequestRule STREAM_OPTIONS = (r, l) -> {
        if (r.streamOptions() != null && !r.streaming()) {
            throw invalidValue("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
        }
    };

    public static final RequestRule SAMPLING_EXTENSIONS = (r, l) -> {
        intRange("top_k", r.topK(), -1, Integer.MAX_VALUE);
        range("min_p", r.minP(), 0, 1);
        intRange("priority", r.priority(), -1_000_000, 1_000_000);
    };

    static final Set<String> SERVICE_TIERS = Set.of("auto", "default", "flex", "scale", "priority");

    /**
     * {@code service_tier}: OpenAI's values. {@code flex} moves the request to the {@code batch} band; the others run
     * in the tenant's own class (nothing a client sends lifts it above that).
     */
    public static final RequestRule SERVICE_TIER = (r, l) -> {
        if (r.serviceTier() != null && !SERVICE_TIERS.contains(r.serviceTier())) {
            throw invalidValue("service_tier", "Invalid value: '" + r.serviceTier() + "'. Supported values are: "
                    + "'auto', 'default', 'flex', 'scale' and 'priority'.");
        }
    };

    /** Every rule, in the order a client's mistakes are reported. */
    public static final List<RequestRule> ALL = List.of(MODEL, MESSAGES, SurfaceRules.TOOL_MESSAGES, TEMPERATURE, TOP_P,
            PENALTIES, MAX_TOKENS, SurfaceRules.N, STOP, STREAM_OPTIONS, SAMPLING_EXTENSIONS, SERVICE_TIER,
            SurfaceRules.LOGPROBS, SurfaceRules.RESPONSE_FORMAT, SurfaceRules.TOOLS, SurfaceRules.TOOL_CHOICE,
            SurfaceRules.EXTENSIONS, SurfaceRules.PROVIDER);

    private static void range(String param, Double value, double min, double max) {
        if (value != null && (value.isNaN() || value < min || value > max)) {
            throw invalidValue(param, "Invalid value for '" + param + "': " + value + " is not between " + fmt(min) + " and "
                    + fmt(max) + ".");
        }
    }

    private static void intRange(String param, Integer value, int min, int max) {
        if (value != null && (value < min || value > max)) {
            throw invalidValue(param, "Invalid value for '" + param + "': " + value + " is not between " + min + " and " + max + ".");
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
