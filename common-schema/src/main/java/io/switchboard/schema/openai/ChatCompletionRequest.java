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
 * What an engine cannot do (decided from the model's engine capabilities) is refused with a clear 400
 * naming the parameter, never silently ignored. The extensions of the vLLM family (seed 001) are typed here
 * and passed through to engines that announce them.
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
        Boolean ignoreEos,
        /** vLLM: constrain the output ({@code json}, {@code regex}, {@code choice} or {@code grammar}, exactly one). */
        JsonNode structuredOutputs,
        /** vLLM: generate at least this many tokens before a stop. */
        Integer minTokens,
        /** vLLM: words never generated. */
        List<String> badWords,
        /** vLLM: extra arguments for the chat template. */
        JsonNode chatTemplateKwargs,
        /** vLLM: continue the last (assistant) message instead of starting a new one. */
        Boolean continueFinalMessage,
        /** vLLM: add the template's generation prompt (default true). */
        Boolean addGenerationPrompt,
        /** vLLM: return the generated token ids. */
        Boolean returnTokenIds,
        /** vLLM: keep only the last k prompt tokens. */
        Integer truncatePromptTokens,
        /** vLLM: a salt that separates this request's prefix cache from others'. */
        String cacheSalt,
        /** Reasoning effort of reasoning models ({@code low}, {@code medium}, {@code high}, ...). */
        String reasoningEffort,
        /** Seed 000: force {@code local} or {@code cloud} instead of automatic routing. */
        String provider) {

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
