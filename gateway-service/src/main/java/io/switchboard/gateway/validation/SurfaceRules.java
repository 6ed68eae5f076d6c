package io.switchboard.gateway.validation;

import static io.switchboard.gateway.error.ApiException.invalid;
import static io.switchboard.gateway.error.ApiException.invalidValue;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.event.Providers;
import io.switchboard.schema.openai.ChatCompletionRequest;
import io.switchboard.schema.openai.ChatMessage;

/**
 * The rules of the OpenAI surface beyond plain text, as OpenAI checks them: {@code n}, {@code logprobs},
 * {@code response_format}, {@code tools} and {@code tool_choice}, tool-call messages, the vLLM extensions of seed 001
 * and {@code provider}. Whether the model's engine can do what is asked is decided after them, from its capabilities
 * ({@code CapabilityCheck}).
 */
public final class SurfaceRules {
    private SurfaceRules() {
    }

    /** The most choices one request may ask for. */
    public static final int MAX_N = 8;
    static final int MAX_TOP_LOGPROBS = 20;
    static final int MAX_TOOLS = 128;
    static final Pattern NAME = Pattern.compile("^[a-zA-Z0-9_-]{1,64}$");

    public static final RequestRule N = (r, l) -> {
        if (r.n() != null && (r.n() < 1 || r.n() > MAX_N)) {
            throw invalidValue("n", "Invalid value for 'n': " + r.n() + " is not between 1 and " + MAX_N + ".");
        }
    };

    public static final RequestRule LOGPROBS = (r, l) -> {
        Integer top = r.topLogprobs();
        if (top != null && (top < 0 || top > MAX_TOP_LOGPROBS)) {
            throw invalidValue("top_logprobs", "Invalid value for 'top_logprobs': " + top + " is not between 0 and "
                    + MAX_TOP_LOGPROBS + ".");
        }
        if (top != null && !Boolean.TRUE.equals(r.logprobs())) {
            throw invalidValue("top_logprobs", "'top_logprobs' requires 'logprobs' to be true.");
        }
    };

    public static final RequestRule RESPONSE_FORMAT = (r, l) -> {
        JsonNode format = r.responseFormat();
        if (format == null || format.isNull()) {
            return;
        }
        if (!format.isObject() || !format.path("type").isTextual()) {
            throw invalid("response_format", "invalid_type",
                    "Invalid type for 'response_format': expected an object with a 'type'.");
        }
        switch (format.get("type").asText()) {
            case "text", "json_object" -> {
            }
            case "json_schema" -> {
                JsonNode schema = format.get("json_schema");
                if (schema == null || !schema.isObject()) {
                    throw invalid("response_format.json_schema", "missing_required_parameter",
                            "Missing required parameter: 'response_format.json_schema'.");
                }
                if (!schema.path("name").isTextual()) {
                    throw invalid("response_format.json_schema.name", "missing_required_parameter",
                            "Missing required parameter: 'response_format.json_schema.name'.");
                }
                if (!NAME.matcher(schema.get("name").asText()).matches()) {
                    throw invalidValue("response_format.json_schema.name", "Invalid 'response_format.json_schema.name': "
                            + "must be 1 to 64 characters of a-z, A-Z, 0-9, '_' and '-'.");
                }
                if (schema.has("schema") && !schema.get("schema").isObject()) {
                    throw invalid("response_format.json_schema.schema", "invalid_type",
                            "Invalid type for 'response_format.json_schema.schema': expected an object.");
                }
                if (schema.has("strict") && !schema.get("strict").isBoolean() && !schema.get("strict").isNull()) {
                    throw invalid("response_format.json_schema.strict", "invalid_type",
                            "Invalid type for 'response_format.json_schema.strict': expected a boolean.");
                }
            }
            default -> throw invalidValue("response_format.type", "Invalid value: '" + format.get("type").asText()
                    + "'. Supported values are: 'text', 'json_object' and 'json_schema'.");
        }
    };

    public static final RequestRule TOOLS = (r, l) -> {
        JsonNode tools = r.tools();
        if (tools == null || tools.isNull()) {
            return;
        }
        if (!tools.isArray()) {
            throw invalid("tools", "invalid_type", "Invalid type for 'tools': expected an array of tools.");
        }
        if (tools.size() > MAX_TOOLS) {
            throw invalidValue("tools", "Invalid 'tools': at most " + MAX_TOOLS + " tools are allowed.");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < tools.size(); i++) {
            String at = "tools[" + i + "]";
            JsonNode tool = tools.get(i);
            if (!tool.isObject() || !"function".equals(tool.path("type").asText())) {
                throw invalidValue(at + ".type", "Invalid value for '" + at + ".type': only 'function' tools are supported.");
            }
            JsonNode function = tool.get("function");
            if (function == null || !function.isObject()) {
                throw invalid(at + ".function", "missing_required_parameter",
                        "Missing required parameter: '" + at + ".function'.");
            }
            if (!function.path("name").isTextual()) {
                throw invalid(at + ".function.name", "missing_required_parameter",
                        "Missing required parameter: '" + at + ".function.name'.");
            }
            String name = function.get("name").asText();
            if (!NAME.matcher(name).matches()) {
                throw invalidValue(at + ".function.name", "Invalid '" + at + ".function.name': must be 1 to 64 characters "
                        + "of a-z, A-Z, 0-9, '_' and '-'.");
            }
            if (!names.add(name)) {
                throw invalidValue("tools", "Invalid 'tools': the function name '" + name + "' is used twice.");
            }
            if (function.has("description") && !function.get("description").isTextual()) {
                throw invalid(at + ".function.description", "invalid_type",
                        "Invalid type for '" + at + ".function.description': expected a string.");
            }
            if (function.has("parameters") && !function.get("parameters").isObject()) {
                throw invalid(at + ".function.parameters", "invalid_type",
                        "Invalid type for '" + at + ".function.parameters': expected an object (a JSON schema).");
            }
        }
    };

    public static final RequestRule TOOL_CHOICE = (r, l) -> {
        JsonNode choice = r.toolChoice();
        if (choice == null || choice.isNull()) {
            return;
        }
        boolean hasTools = r.tools() != null && r.tools().isArray() && !r.tools().isEmpty();
        if (choice.isTextual()) {
            String c = choice.asText();
            if (!Set.of("none", "auto", "required").contains(c)) {
                throw invalidValue("tool_choice", "Invalid value: '" + c + "'. Supported values are: 'none', 'auto' and "
                        + "'required', or an object naming a function.");
            }
            if (!hasTools && !"none".equals(c)) {
                throw invalidValue("tool_choice", "Invalid value for 'tool_choice': '" + c + "' requires 'tools'.");
            }
            return;
        }
        if (!choice.isObject() || !"function".equals(choice.path("type").asText())
                || !choice.path("function").path("name").isTextual()) {
            throw invalid("tool_choice", "invalid_type", "Invalid type for 'tool_choice': expected 'none', 'auto', "
                    + "'required' or {\"type\": \"function\", \"function\": {\"name\": ...}}.");
        }
        String name = choice.get("function").get("name").asText();
        if (!hasTools) {
            throw invalidValue("tool_choice", "Invalid value for 'tool_choice': a named function requires 'tools'.");
        }
        for (JsonNode tool : r.tools()) {
            if (name.equals(tool.path("function").path("name").asText())) {
                return;
            }
        }
        throw invalidValue("tool_choice.function.name", "Invalid value for 'tool_choice.function.name': no tool named '"
                + name + "' is in 'tools'.");
    };

    /** Assistant messages' {@code tool_calls} and {@code tool} messages' {@code tool_call_id}. */
    public static final RequestRule TOOL_MESSAGES = (r, l) -> {
        if (r.messages() == null) {
            return;
        }
        for (int i = 0; i < r.messages().size(); i++) {
            ChatMessage m = r.messages().get(i);
            String at = "messages[" + i + "]";
            if (m == null) {
                continue;
            }
            if ("tool".equals(m.role()) && (m.toolCallId() == null || m.toolCallId().isBlank())) {
                throw invalid(at + ".tool_call_id", "missing_required_parameter",
                        "Missing required parameter: '" + at + ".tool_call_id'.");
            }
            JsonNode calls = m.toolCalls();
            if (calls == null || calls.isNull()) {
                continue;
            }
            if (!"assistant".equals(m.role())) {
                throw invalidValue(at + ".tool_calls", "Invalid '" + at + ".tool_calls': only assistant messages have tool calls.");
            }
            if (!calls.isArray()) {
                throw invalid(at + ".tool_calls", "invalid_type", "Invalid type for '" + at + ".tool_calls': expected an array.");
            }
            for (int j = 0; j < calls.size(); j++) {
                JsonNode call = calls.get(j);
                String c = at + ".tool_calls[" + j + "]";
                if (!call.path("id").isTextual()) {
                    throw invalid(c + ".id", "missing_required_parameter", "Missing required parameter: '" + c + ".id'.");
                }
                if (!call.path("function").path("name").isTextual()) {
                    throw invalid(c + ".function.name", "missing_required_parameter",
                            "Missing required parameter: '" + c + ".function.name'.");
                }
                if (!call.path("function").path("arguments").isTextual()) {
                    throw invalid(c + ".function.arguments", "missing_required_parameter",
                            "Missing required parameter: '" + c + ".function.arguments' (a JSON string).");
                }
            }
        }
    };

    /** The vLLM extensions of seed 001: types and ranges here; whether the engine has them, from its capabilities. */
    public static final RequestRule EXTENSIONS = (r, l) -> {
        if (r.minTokens() != null) {
            int max = r.maxCompletionTokens() != null ? r.maxCompletionTokens()
                    : r.maxTokens() != null ? r.maxTokens() : l.maxTokensLimit();
            if (r.minTokens() < 0 || r.minTokens() > max) {
                throw invalidValue("min_tokens", "Invalid value for 'min_tokens': " + r.minTokens()
                        + " must be between 0 and the request's max tokens (" + max + ").");
            }
        }
        Map<String, Double> bias = r.logitBias();
        if (bias != null) {
            for (Map.Entry<String, Double> e : bias.entrySet()) {
                if (!e.getKey().matches("\\d{1,9}")) { // a token id (vocabularies hold well under 10^9)
                    throw invalidValue("logit_bias", "Invalid 'logit_bias': keys must be token ids, not '" + e.getKey() + "'.");
                }
                if (e.getValue() == null || e.getValue() < -100 || e.getValue() > 100) {
                    throw invalidValue("logit_bias", "Invalid 'logit_bias': values must be between -100 and 100.");
                }
            }
        }
        JsonNode structured = r.structuredOutputs();
        if (structured != null && !structured.isNull()) {
            if (!structured.isObject()) {
                throw invalid("structured_outputs", "invalid_type", "Invalid type for 'structured_outputs': expected an object.");
            }
            int kinds = 0;
            for (String k : new String[] {"json", "regex", "choice", "grammar"}) {
                kinds += structured.hasNonNull(k) ? 1 : 0;
            }
            if (kinds != 1) {
                throw invalidValue("structured_outputs", "Invalid 'structured_outputs': give exactly one of 'json', 'regex', "
                        + "'choice' or 'grammar'.");
            }
            if (structured.has("choice") && (!structured.get("choice").isArray() || structured.get("choice").isEmpty())) {
                throw invalidValue("structured_outputs.choice", "Invalid 'structured_outputs.choice': expected a non-empty "
                        + "array of strings.");
            }
        }
        if (r.truncatePromptTokens() != null && r.truncatePromptTokens() < 1) {
            throw invalidValue("truncate_prompt_tokens", "Invalid value for 'truncate_prompt_tokens': must be at least 1.");
        }
        if (r.chatTemplateKwargs() != null && !r.chatTemplateKwargs().isNull() && !r.chatTemplateKwargs().isObject()) {
            throw invalid("chat_template_kwargs", "invalid_type", "Invalid type for 'chat_template_kwargs': expected an object.");
        }
        if (r.reasoningEffort() != null && !Set.of("minimal", "low", "medium", "high").contains(r.reasoningEffort())) {
            throw invalidValue("reasoning_effort", "Invalid value: '" + r.reasoningEffort() + "'. Supported values are: "
                    + "'minimal', 'low', 'medium' and 'high'.");
        }
    };

    public static final RequestRule PROVIDER = (r, l) -> {
        if (r.provider() != null && !Providers.valid(r.provider())) {
            throw invalidValue("provider", "Invalid value: '" + r.provider() + "'. Supported values are: 'local' and 'cloud'.");
        }
    };
}
