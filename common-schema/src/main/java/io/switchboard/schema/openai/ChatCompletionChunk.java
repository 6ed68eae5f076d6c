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
        Usage usage,
        String provider) {

    public static final String OBJECT = "chat.completion.chunk";

    public ChatCompletionChunk(String id, String object, long created, String model, String systemFingerprint,
            List<ChunkChoice> choices, Usage usage) {
        this(id, object, created, model, systemFingerprint, choices, usage, null);
    }

    public static ChatCompletionChunk role(String id, long created, String model, String fingerprint) {
        return role(id, created, model, fingerprint, 0);
    }

    /** The first chunk of choice {@code index}: its role, empty content. */
    public static ChatCompletionChunk role(String id, long created, String model, String fingerprint, int index) {
        return single(id, created, model, fingerprint, index, new Delta("assistant", "", null, null), null, null);
    }

    public static ChatCompletionChunk content(String id, long created, String model, String fingerprint, String text) {
        return single(id, created, model, fingerprint, 0, new Delta(null, text, null, null), null, null);
    }

    /** A piece of choice {@code index}: text, reasoning, tool-call pieces, and its tokens' logprobs when asked for. */
    public static ChatCompletionChunk piece(String id, long created, String model, String fingerprint, int index,
            Delta delta, ChoiceLogprobs logprobs) {
        return single(id, created, model, fingerprint, index, delta, logprobs, null);
    }

    public static ChatCompletionChunk finish(String id, long created, String model, String fingerprint, String reason) {
        return finish(id, created, model, fingerprint, 0, reason);
    }

    public static ChatCompletionChunk finish(String id, long created, String model, String fingerprint, int index,
            String reason) {
        return single(id, created, model, fingerprint, index, new Delta(null, null, null, null), null, reason);
    }

    public static ChatCompletionChunk usage(String id, long created, String model, String fingerprint, Usage usage) {
        return new ChatCompletionChunk(id, OBJECT, created, model, fingerprint, List.of(), usage, null);
    }

    /** The same chunk saying which provider served it (seed 003's {@code provider}). */
    public ChatCompletionChunk servedBy(String by) {
        return new ChatCompletionChunk(id, object, created, model, systemFingerprint, choices, usage, by);
    }

    private static ChatCompletionChunk single(String id, long created, String model, String fingerprint, int index,
            Delta delta, ChoiceLogprobs logprobs, String finishReason) {
        return new ChatCompletionChunk(id, OBJECT, created, model, fingerprint,
                List.of(new ChunkChoice(index, delta, logprobs, finishReason)), null, null);
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ChunkChoice(
            int index,
            Delta delta,
            @JsonInclude(JsonInclude.Include.ALWAYS) ChoiceLogprobs logprobs,
            @JsonInclude(JsonInclude.Include.ALWAYS) String finishReason) {
    }

    /**
     * OpenAI {@code ChatCompletionStreamResponseDelta}: role (first chunk), content, tool-call pieces
     * ({@code tool_calls}), and, as vLLM sends it, the model's reasoning ({@code reasoning_content}).
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Delta(String role, String content, List<ToolCall.Chunk> toolCalls, String reasoningContent) {
        public Delta(String role, String content) {
            this(role, content, null, null);
        }
    }
}
