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
        @JsonInclude(JsonInclude.Include.ALWAYS) String systemFingerprint) {

    public static final String OBJECT = "chat.completion";

    public static ChatCompletion of(String id, long created, String model, String content, String finishReason,
            Usage usage, String systemFingerprint) {
        return new ChatCompletion(id, OBJECT, created, model,
                List.of(new Choice(0, AssistantMessage.of(content), null, finishReason)), usage, systemFingerprint);
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Choice(
            int index,
            AssistantMessage message,
            @JsonInclude(JsonInclude.Include.ALWAYS) Object logprobs,
            String finishReason) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record AssistantMessage(
            String role,
            @JsonInclude(JsonInclude.Include.ALWAYS) String content,
            @JsonInclude(JsonInclude.Include.ALWAYS) String refusal) {
        public static AssistantMessage of(String content) {
            return new AssistantMessage("assistant", content, null);
        }
    }
}
