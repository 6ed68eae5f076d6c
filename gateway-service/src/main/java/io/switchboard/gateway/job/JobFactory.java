package io.switchboard.gateway.job;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.schema.openai.ChatCompletionRequest;
import io.switchboard.schema.openai.ChatMessage;

/** Turns a validated request into the job the rest of the system runs, applying OpenAI's defaults. */
public final class JobFactory {
    private final int defaultMaxTokens;

    public JobFactory(int defaultMaxTokens) {
        this.defaultMaxTokens = defaultMaxTokens;
    }

    public static String newJobId() {
        return "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
    }

    public InferenceJob create(String jobId, String requestId, String tenantId, ChatCompletionRequest r, long nowMs,
            long deadlineMs) {
        int maxTokens = r.maxCompletionTokens() != null ? r.maxCompletionTokens()
                : r.maxTokens() != null ? r.maxTokens() : defaultMaxTokens;
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
        return new InferenceJob(InferenceJob.VERSION, jobId, requestId, tenantId, r.model(),
                r.priority() == null ? 0 : r.priority(), messages, sampling, nowMs, deadlineMs);
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
