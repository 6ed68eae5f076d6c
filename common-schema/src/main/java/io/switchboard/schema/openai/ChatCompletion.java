package io.switchboard.schema.openai;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** OpenAI {@code CreateChatCompletionResponse} ({@code object: "chat.completion"}). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChatCompletion(
        String id,
        String object,
        long created,
        String model,
        List<Choice> choices,
        Usage usage,
        @JsonInclude(JsonInclude.Include.ALWAYS) String systemFingerprint,
        String provider) {

    public static final String OBJECT = "chat.completion";

    public ChatCompletion(String id, String object, long created, String model, List<Choice> choices, Usage usage,
            String systemFingerprint) {
        this(id, object, created, model, choices, usage, systemFingerprint, null);
    }

    public static ChatCompletion of(String id, long created, String model, String content, String finishReason,
            Usage usage, String systemFingerprint) {
        return new ChatCompletion(id, OBJECT, created, model,
                List.of(new Choice(0, AssistantMessage.of(content), null, finishReason)), usage, systemFingerprint, null);
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Choice(
            int index,
            AssistantMessage message,
            @JsonInclude(JsonInclude.Include.ALWAYS) ChoiceLogprobs logprobs,
            String finishReason) {
    }

    /**
     * The answer of one choice: its text ({@code null} when it only calls tools), its tool calls, and, as vLLM sends it,
     * the model's reasoning ({@code reasoning_content}).
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record AssistantMessage(
            String role,
            @JsonInclude(JsonInclude.Include.ALWAYS) String content,
            @JsonInclude(JsonInclude.Include.ALWAYS) String refusal,
            List<ToolCall> toolCalls,
            String reasoningContent) {
        public AssistantMessage(String role, String content, String refusal) {
            this(role, content, refusal, null, null);
        }

        public static AssistantMessage of(String content) {
            return new AssistantMessage("assistant", content, null, null, null);
        }
    }
}
