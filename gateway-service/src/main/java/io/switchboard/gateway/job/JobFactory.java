package io.switchboard.gateway.job;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.gateway.auth.Caller;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.schema.event.ServiceClass;
import io.switchboard.schema.openai.ChatCompletionRequest;
import io.switchboard.schema.openai.ChatMessage;

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
            messages.add(new PromptMessage(m.role(), text(m.content())));
        }
        int priority = r.priority() == null ? 0 : Math.max(-priorityRange, Math.min(priorityRange, r.priority()));
        ServiceClass serviceClass = caller.tenant().serviceClass();
        if ("flex".equals(r.serviceTier())) {
            serviceClass = serviceClass.atMost(ServiceClass.BATCH);
        }
        return new InferenceJob(InferenceJob.VERSION, jobId, requestId, caller.tenantId(), r.model(), priority, messages,
                sampling, nowMs, deadlineMs, caller.keyId(), serviceClass, caller.tenant().weight());
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
