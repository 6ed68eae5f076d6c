package io.switchboard.schema.openai;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * OpenAI {@code CompletionUsage}: token counts from the model's own tokenizer. {@code promptTokensDetails} says how
 * many prompt tokens the engine served from its cache, when the engine reports it (absent otherwise).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Usage(int promptTokens, int completionTokens, int totalTokens, PromptTokensDetails promptTokensDetails) {

    public Usage(int promptTokens, int completionTokens, int totalTokens) {
        this(promptTokens, completionTokens, totalTokens, null);
    }

    public static Usage of(int promptTokens, int completionTokens) {
        return new Usage(promptTokens, completionTokens, promptTokens + completionTokens, null);
    }

    /** With the engine's count of cached prompt tokens; {@code cachedTokens} null when the engine does not say. */
    public static Usage of(int promptTokens, int completionTokens, Integer cachedTokens) {
        return new Usage(promptTokens, completionTokens, promptTokens + completionTokens,
                cachedTokens == null ? null : new PromptTokensDetails(cachedTokens));
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record PromptTokensDetails(Integer cachedTokens) {
    }
}
