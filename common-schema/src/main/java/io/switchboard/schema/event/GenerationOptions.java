package io.switchboard.schema.event;

import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a job asks of the engine beyond sampling, validated by the gateway against the OpenAI API and the engine's
 * {@link EngineCapabilities}. Absent in jobs before v3 ({@link #DEFAULT}: one choice of plain text).
 *
 * @param n                 choices to generate (1–8)
 * @param logprobs          return the log probability of each generated token
 * @param topLogprobs       how many alternatives per position (0–20), with {@code logprobs}
 * @param responseFormat    OpenAI's {@code response_format} ({@code json_object} or {@code json_schema}); null for text
 * @param tools             OpenAI's {@code tools} (function definitions); null when none
 * @param toolChoice        {@code "none"}, {@code "auto"}, {@code "required"} or {@code {"type":"function",...}}; null
 *                          for the default
 * @param parallelToolCalls whether the model may make several calls in one answer (null: the default, true)
 * @param extensions        engine parameters of the vLLM family passed through as sent ({@code structured_outputs},
 *                          {@code min_tokens}, {@code logit_bias}, ...; names in {@link #EXTENSIONS}), each checked by
 *                          the gateway against a {@link Feature}
 */
public record GenerationOptions(
        int n,
        boolean logprobs,
        Integer topLogprobs,
        JsonNode responseFormat,
        JsonNode tools,
        JsonNode toolChoice,
        Boolean parallelToolCalls,
        Map<String, JsonNode> extensions) {

    public static final GenerationOptions DEFAULT = new GenerationOptions(1, false, null, null, null, null, null, null);

    /** The pass-through parameters and the feature each one needs. */
    public static final Map<String, Feature> EXTENSIONS = Map.ofEntries(
            Map.entry("structured_outputs", Feature.STRUCTURED_OUTPUTS),
            Map.entry("logit_bias", Feature.LOGIT_BIAS),
            Map.entry("min_tokens", Feature.MIN_TOKENS),
            Map.entry("bad_words", Feature.BAD_WORDS),
            Map.entry("chat_template_kwargs", Feature.CHAT_TEMPLATE),
            Map.entry("continue_final_message", Feature.CHAT_TEMPLATE),
            Map.entry("add_generation_prompt", Feature.CHAT_TEMPLATE),
            Map.entry("return_token_ids", Feature.TOKEN_IDS),
            Map.entry("truncate_prompt_tokens", Feature.TRUNCATE_PROMPT),
            Map.entry("cache_salt", Feature.CACHE_SALT),
            Map.entry("reasoning_effort", Feature.REASONING));

    public GenerationOptions {
        n = Math.max(1, n);
        responseFormat = isNull(responseFormat) ? null : responseFormat;
        tools = isNull(tools) || (tools.isArray() && tools.isEmpty()) ? null : tools;
        toolChoice = isNull(toolChoice) ? null : toolChoice;
        extensions = extensions == null || extensions.isEmpty() ? null : Map.copyOf(extensions);
    }

    public Map<String, JsonNode> extensionsOrEmpty() {
        return extensions == null ? Map.of() : extensions;
    }

    /** The response format's type ({@code text}, {@code json_object}, {@code json_schema}). */
    public String responseFormatType() {
        return responseFormat == null ? "text" : responseFormat.path("type").asText("text");
    }

    /** True unless {@code tool_choice} is {@code "none"} or there are no tools. */
    public boolean toolsEnabled() {
        return tools != null && !(toolChoice != null && toolChoice.isTextual() && "none".equals(toolChoice.asText()));
    }

    /** The function {@code tool_choice} names ({@code {"type":"function","function":{"name":...}}}), or null. */
    public String namedTool() {
        return toolsEnabled() && toolChoice != null && toolChoice.isObject()
                ? toolChoice.path("function").path("name").asText(null)
                : null;
    }

    /** Whether the answer must be a tool call, never text: {@code tool_choice} {@code "required"} or a named function. */
    public boolean toolCallForced() {
        return toolsEnabled() && toolChoice != null && (toolChoice.isObject() || "required".equals(toolChoice.asText()));
    }

    /** The features this job needs of its engine. */
    public Set<Feature> needs() {
        java.util.EnumSet<Feature> out = java.util.EnumSet.noneOf(Feature.class);
        if (n > 1) {
            out.add(Feature.N);
        }
        if (logprobs) {
            out.add(Feature.LOGPROBS);
        }
        switch (responseFormatType()) {
            case "json_object" -> out.add(Feature.JSON_OBJECT);
            case "json_schema" -> out.add(Feature.JSON_SCHEMA);
            default -> {
            }
        }
        if (toolsEnabled()) {
            out.add(Feature.TOOLS);
        }
        extensionsOrEmpty().keySet().forEach(name -> {
            Feature f = EXTENSIONS.get(name);
            if (f != null) {
                out.add(f);
            }
        });
        return out;
    }

    private static boolean isNull(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode();
    }
}
