package io.switchboard.gateway.job;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.gateway.auth.Caller;
import io.switchboard.schema.event.GenerationOptions;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.schema.event.ServiceClass;
import io.switchboard.schema.openai.ChatCompletionRequest;
import io.switchboard.schema.openai.ChatMessage;
import io.switchboard.schema.openai.ToolCall;
import io.switchboard.schema.wire.Json;

/**
 * Turns a validated request into the job the rest of the system runs, applying OpenAI's defaults and the caller's
 * tenancy: its class of service (lowered to {@code batch} by {@code service_tier: "flex"}, never raised), its
 * weight, its cap on {@code max_tokens}, and {@code priority} clamped to [-range, range].
 */
public final class JobFactory {
    private final int defaultMaxTokens;
    private final int priorityRange;

    public JobFactory(int defaultMaxTokens, int priorityRange) {
        this.defaultMaxTokens = defaultMaxTokens;
        this.priorityRange = priorityRange;
    }

    public static String newJobId() {
        return "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
    }

    public InferenceJob create(String jobId, String requestId, Caller caller, ChatCompletionRequest r, long nowMs,
            long deadlineMs) {
        return create(jobId, requestId, caller, r, r.model(), nowMs, deadlineMs);
    }

    /** @param model the model the request runs on: the one it names, or the model its alias stands for */
    public InferenceJob create(String jobId, String requestId, Caller caller, ChatCompletionRequest r, String model,
            long nowMs, long deadlineMs) {
        Long cap = caller.maxTokensCap();
        int fallback = cap == null ? defaultMaxTokens : (int) Math.min(defaultMaxTokens, cap);
        int maxTokens = r.maxCompletionTokens() != null ? r.maxCompletionTokens()
                : r.maxTokens() != null ? r.maxTokens() : fallback;
        SamplingParams sampling = new SamplingParams(
                r.temperature() == null ? 1.0 : r.temperature(),
                r.topP() == null ? 1.0 : r.topP(),
                r.topK() == null || r.topK() < 0 ? null : r.topK(),
                r.minP(),
                maxTokens,
                r.stop(),
                r.seed(),
                r.presencePenalty() == null ? 0.0 : r.presencePenalty(),
                r.frequencyPenalty() == null ? 0.0 : r.frequencyPenalty(),
                Boolean.TRUE.equals(r.ignoreEos()));
        List<PromptMessage> messages = new ArrayList<>(r.messages().size());
        for (ChatMessage m : r.messages()) {
            messages.add(new PromptMessage(m.role(), text(m.content()), m.name(), toolCalls(m.toolCalls()), m.toolCallId()));
        }
        int priority = r.priority() == null ? 0 : Math.max(-priorityRange, Math.min(priorityRange, r.priority()));
        ServiceClass serviceClass = caller.tenant().serviceClass();
        if ("flex".equals(r.serviceTier())) {
            serviceClass = serviceClass.atMost(ServiceClass.BATCH);
        }
        return new InferenceJob(InferenceJob.VERSION, jobId, requestId, caller.tenantId(), model, priority, messages,
                sampling, nowMs, deadlineMs, caller.keyId(), serviceClass, caller.tenant().weight(), options(r), r.provider());
    }

    /** What the request asks of the engine beyond sampling: choices, logprobs, response format, tools, extensions. */
    public static GenerationOptions options(ChatCompletionRequest r) {
        Map<String, JsonNode> extensions = new LinkedHashMap<>();
        put(extensions, "structured_outputs", r.structuredOutputs());
        put(extensions, "min_tokens", r.minTokens());
        put(extensions, "bad_words", r.badWords());
        put(extensions, "logit_bias", r.logitBias() == null || r.logitBias().isEmpty() ? null : r.logitBias());
        put(extensions, "chat_template_kwargs", r.chatTemplateKwargs());
        put(extensions, "continue_final_message", r.continueFinalMessage());
        put(extensions, "add_generation_prompt", r.addGenerationPrompt());
        put(extensions, "return_token_ids", r.returnTokenIds());
        put(extensions, "truncate_prompt_tokens", r.truncatePromptTokens());
        put(extensions, "cache_salt", r.cacheSalt());
        put(extensions, "reasoning_effort", r.reasoningEffort());
        String format = r.responseFormat() == null ? "text" : r.responseFormat().path("type").asText("text");
        return new GenerationOptions(r.n() == null ? 1 : r.n(), Boolean.TRUE.equals(r.logprobs()),
                Boolean.TRUE.equals(r.logprobs()) ? r.topLogprobs() : null, "text".equals(format) ? null : r.responseFormat(),
                r.tools(), r.toolChoice(), r.parallelToolCalls(), extensions);
    }

    private static void put(Map<String, JsonNode> into, String name, Object value) {
        if (value instanceof JsonNode node ? !node.isNull() : value != null) {
            into.put(name, value instanceof JsonNode node ? node : Json.MAPPER.valueToTree(value));
        }
    }

    /** An assistant message's tool calls, as the engines get them; null when it has none. */
    static List<ToolCall> toolCalls(JsonNode calls) {
        if (calls == null || !calls.isArray() || calls.isEmpty()) {
            return null;
        }
        List<ToolCall> out = new ArrayList<>(calls.size());
        for (JsonNode c : calls) {
            out.add(ToolCall.function(c.path("id").asText(), c.path("function").path("name").asText(),
                    c.path("function").path("arguments").asText()));
        }
        return out;
    }

    /** A message's text: the string, or its text parts joined by newlines; empty for null content. */
    static String text(JsonNode content) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode part : content) {
            if (!sb.isEmpty()) {
                sb.append('\n');
            }
            sb.append(part.path("text").asText());
        }
        return sb.toString();
    }
}
