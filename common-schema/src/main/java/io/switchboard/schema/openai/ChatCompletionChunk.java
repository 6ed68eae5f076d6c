package io.switchboard.schema.openai;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * OpenAI {@code CreateChatCompletionStreamResponse} ({@code object: "chat.completion.chunk"}). A
 * stream is: a role chunk, content chunks, one chunk with {@code finish_reason}, and, when
 * {@code stream_options.include_usage} is set, a usage chunk with {@code choices: []}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChatCompletionChunk(
        String id,
        String object,
        long created,
        String model,
        @JsonInclude(JsonInclude.Include.ALWAYS) String systemFingerprint,
        List<ChunkChoice> choices,
        Usage usage) {

    public static final String OBJECT = "chat.completion.chunk";

    public static ChatCompletionChunk role(String id, long created, String model, String fingerprint) {
        return single(id, created, model, fingerprint, new Delta("assistant", ""), null);
    }

    public static ChatCompletionChunk content(String id, long created, String model, String fingerprint, String text) {
        return single(id, created, model, fingerprint, new Delta(null, text), null);
    }

    public static ChatCompletionChunk finish(String id, long created, String model, String fingerprint, String reason) {
        return single(id, created, model, fingerprint, new Delta(null, null), reason);
    }

    public static ChatCompletionChunk usage(String id, long created, String model, String fingerprint, Usage usage) {
        return new ChatCompletionChunk(id, OBJECT, created, model, fingerprint, List.of(), usage);
    }

    private static ChatCompletionChunk single(String id, long created, String model, String fingerprint, Delta delta,
            String finishReason) {
        return new ChatCompletionChunk(id, OBJECT, created, model, fingerprint,
                List.of(new ChunkChoice(0, delta, null, finishReason)), null);
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ChunkChoice(
            int index,
            Delta delta,
            @JsonInclude(JsonInclude.Include.ALWAYS) Object logprobs,
            @JsonInclude(JsonInclude.Include.ALWAYS) String finishReason) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Delta(String role, String content) {
    }
}
