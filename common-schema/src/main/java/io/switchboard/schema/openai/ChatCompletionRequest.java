package io.switchboard.schema.openai;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * {@code POST /v1/chat/completions} request body: OpenAI's {@code CreateChatCompletionRequest}, fields
 * in the order of the OpenAI reference. Values are boxed so "absent" stays distinguishable from a
 * default; the gateway's validation rules check ranges and combinations and apply defaults.
 * Parameters that are accepted on the wire but not implemented yet (n &gt; 1, logprobs, tools,
 * response_format other than text) are rejected by a validation rule with a clear 400, never
 * silently ignored.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChatCompletionRequest(
        List<ChatMessage> messages,
        String model,
        Integer maxCompletionTokens,
        Double frequencyPenalty,
        Double presencePenalty,
        Integer topLogprobs,
        JsonNode responseFormat,
        Boolean store,
        Boolean stream,
        @JsonDeserialize(using = StopDeserializer.class) List<String> stop,
        Map<String, Double> logitBias,
        Boolean logprobs,
        Integer maxTokens,
        Integer n,
        Long seed,
        String serviceTier,
        StreamOptions streamOptions,
        JsonNode tools,
        JsonNode toolChoice,
        Boolean parallelToolCalls,
        Map<String, String> metadata,
        Double temperature,
        Double topP,
        String user,

        // ---- Switchboard extensions (as in vLLM's OpenAI server) --------------------------------
        /** Scheduling priority: lower runs first; default 0. */
        Integer priority,
        /** Top-k sampling; absent or -1 disables it. */
        Integer topK,
        /** Min-p sampling in [0, 1]; absent disables it. */
        Double minP,
        /** Keep generating past the end-of-sequence token until max_tokens (benchmarks, load tests). */
        Boolean ignoreEos) {

    public boolean streaming() {
        return Boolean.TRUE.equals(stream);
    }

    public boolean includeUsage() {
        return streamOptions != null && Boolean.TRUE.equals(streamOptions.includeUsage());
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record StreamOptions(Boolean includeUsage) {
    }
}
