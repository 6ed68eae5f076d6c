package io.switchboard.worker.engine.openai;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.TokenLogprob;
import io.switchboard.schema.openai.ToolCall;
import io.switchboard.worker.engine.EngineException;
import io.switchboard.worker.engine.InferenceEngine.EventSink;
import io.switchboard.worker.engine.InferenceEngine.Generation;

/**
 * Reads the upstream's {@code chat.completion.chunk}s, checks each is a valid OpenAI chunk, and hands their pieces to
 * the sink: text, reasoning ({@code reasoning_content} or {@code reasoning}), logprobs and tool-call pieces, one
 * delta per choice per chunk. Upstream quirks stay here: a role-only delta is dropped, the upstream's model name and
 * ids are ignored, an empty tool-call id is replaced by a generated one (the same for every piece of the call), and
 * usage is taken from whichever chunk carries it, with cached prompt tokens from {@code prompt_tokens_details} or
 * llama.cpp's {@code timings}.
 */
final class ChunkTranslator {
    private final int choices;
    private final boolean reportChoiceEnds;
    private final EventSink sink;
    private final Supplier<String> toolCallIds;
    private final String[] finishReasons;
    private final int[] pieces;
    private final List<Map<Integer, String>> callIds = new ArrayList<>();
    private Integer promptTokens;
    private Integer completionTokens;
    private Integer cachedTokens;

    /**
     * @param choices          choices asked for: a chunk naming another index is invalid
     * @param reportChoiceEnds whether each choice's end goes to the sink ({@code choiceEnd}) as it arrives
     */
    ChunkTranslator(int choices, boolean reportChoiceEnds, EventSink sink, Supplier<String> toolCallIds) {
        this.choices = choices;
        this.reportChoiceEnds = reportChoiceEnds;
        this.sink = sink;
        this.toolCallIds = toolCallIds;
        this.finishReasons = new String[choices];
        this.pieces = new int[choices];
        for (int i = 0; i < choices; i++) {
            callIds.add(new HashMap<>());
        }
    }

    /** Reads one chunk. */
    void accept(JsonNode chunk) {
        if (!chunk.isObject()) {
            throw bad("a chunk is not a JSON object");
        }
        if (chunk.has("error")) {
            throw UpstreamFailures.inStream(chunk.path("error"), promptTokensSoFar(), completionTokensSoFar());
        }
        JsonNode list = chunk.get("choices");
        if (list == null || !list.isArray()) {
            throw bad("a chunk has no choices array");
        }
        for (JsonNode choice : list) {
            choice(choice);
        }
        JsonNode usage = chunk.get("usage");
        if (usage != null && !usage.isNull()) {
            usage(usage, chunk.path("timings"));
        }
    }

    /** How the choices ended; checks every choice did. */
    Generation finish() {
        for (int i = 0; i < choices; i++) {
            if (finishReasons[i] == null) {
                throw bad("choice " + i + " ended without a finish_reason");
            }
        }
        return new Generation(finishReasons[0], promptTokensSoFar(), completionTokensSoFar(), cachedTokens, false);
    }

    /** What was produced before a cancel. */
    Generation cancelled() {
        return new Generation(finishReasons[0] == null ? "stop" : finishReasons[0], promptTokensSoFar(),
                completionTokensSoFar(), cachedTokens, true);
    }

    int promptTokensSoFar() {
        return promptTokens == null ? 0 : promptTokens;
    }

    /** The upstream's count once it sent usage; before, the pieces received (one token each, near enough). */
    int completionTokensSoFar() {
        if (completionTokens != null) {
            return completionTokens;
        }
        int sum = 0;
        for (int p : pieces) {
            sum += p;
        }
        return sum;
    }

    private void choice(JsonNode choice) {
        if (!choice.isObject()) {
            throw bad("a choice is not an object");
        }
        JsonNode indexNode = choice.get("index");
        if (indexNode == null || !indexNode.canConvertToExactIntegral()) {
            throw bad("a choice has no index");
        }
        int index = indexNode.asInt();
        if (index < 0 || index >= choices) {
            throw bad("choice index " + index + " is out of range (" + choices + " asked for)");
        }
        JsonNode delta = choice.get("delta");
        if (delta == null || !delta.isObject()) {
            throw bad("choice " + index + " has no delta");
        }
        String text = optionalText(delta, "content");
        String reasoning = optionalText(delta, "reasoning_content");
        if (reasoning == null) {
            reasoning = optionalText(delta, "reasoning");
        }
        List<TokenLogprob> logprobs = logprobs(choice.get("logprobs"));
        List<ToolCall.Chunk> calls = toolCalls(index, delta.get("tool_calls"));
        TokenEvent.Delta out = new TokenEvent.Delta(TokenEvent.VERSION, text, index, logprobs, calls, reasoning);
        if (!out.empty()) {
            pieces[index] += logprobs != null ? logprobs.size() : 1;
            sink.delta(out);
        }
        JsonNode finish = choice.get("finish_reason");
        if (finish != null && !finish.isNull()) {
            if (!finish.isTextual() || finish.asText().isEmpty()) {
                throw bad("choice " + index + " has an invalid finish_reason");
            }
            if (finishReasons[index] == null) {
                finishReasons[index] = finish.asText();
                if (reportChoiceEnds) {
                    sink.choiceEnd(index, finishReasons[index]);
                }
            }
        }
    }

    private List<TokenLogprob> logprobs(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        JsonNode content = node.get("content");
        if (content == null || content.isNull()) {
            return null;
        }
        if (!content.isArray()) {
            throw bad("logprobs.content is not an array");
        }
        List<TokenLogprob> out = new ArrayList<>(content.size());
        for (JsonNode t : content) {
            List<TokenLogprob.Top> tops = new ArrayList<>();
            JsonNode topList = t.get("top_logprobs");
            if (topList != null && !topList.isNull()) {
                if (!topList.isArray()) {
                    throw bad("top_logprobs is not an array");
                }
                for (JsonNode top : topList) {
                    tops.add(new TokenLogprob.Top(token(top), logprob(top), bytes(top)));
                }
            }
            out.add(new TokenLogprob(token(t), logprob(t), bytes(t), tops));
        }
        return out;
    }

    private List<ToolCall.Chunk> toolCalls(int choice, JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isArray()) {
            throw bad("tool_calls is not an array");
        }
        List<ToolCall.Chunk> out = new ArrayList<>(node.size());
        Map<Integer, String> ids = callIds.get(choice);
        for (JsonNode call : node) {
            JsonNode indexNode = call.get("index");
            int index = indexNode != null && indexNode.canConvertToExactIntegral() ? indexNode.asInt() : ids.size();
            JsonNode function = call.path("function");
            String name = optionalText(function, "name");
            String arguments = optionalText(function, "arguments");
            String upstreamId = optionalText(call, "id");
            String id = null;
            if (!ids.containsKey(index)) {
                // a call's first piece: it names the function and gets an id, the upstream's or ours
                if (name == null || name.isEmpty()) {
                    throw bad("tool call " + index + " of choice " + choice + " starts without a function name");
                }
                id = upstreamId == null || upstreamId.isEmpty() ? toolCallIds.get() : upstreamId;
                ids.put(index, id);
            }
            out.add(id != null ? new ToolCall.Chunk(index, id, ToolCall.FUNCTION,
                    new ToolCall.Function(name, arguments == null ? "" : arguments))
                    : ToolCall.Chunk.arguments(index, arguments == null ? "" : arguments));
        }
        return out;
    }

    private void usage(JsonNode usage, JsonNode timings) {
        JsonNode prompt = usage.get("prompt_tokens");
        JsonNode completion = usage.get("completion_tokens");
        if (!usage.isObject() || prompt == null || !prompt.canConvertToExactIntegral() || completion == null
                || !completion.canConvertToExactIntegral()) {
            throw bad("usage lacks prompt_tokens or completion_tokens");
        }
        promptTokens = prompt.asInt();
        completionTokens = completion.asInt();
        JsonNode cached = usage.path("prompt_tokens_details").path("cached_tokens");
        if (cached.canConvertToExactIntegral()) {
            cachedTokens = cached.asInt();
        } else if (timings.path("cache_n").canConvertToExactIntegral()) {
            cachedTokens = timings.path("cache_n").asInt();
        } else if (timings.path("prompt_n").canConvertToExactIntegral()) {
            // older llama-server: prompt_n counts only the prompt tokens it had to evaluate
            cachedTokens = Math.max(0, promptTokens - timings.path("prompt_n").asInt());
        }
    }

    private String token(JsonNode t) {
        JsonNode token = t.get("token");
        if (token == null || !token.isTextual()) {
            throw bad("a logprob has no token");
        }
        return token.asText();
    }

    private double logprob(JsonNode t) {
        JsonNode lp = t.get("logprob");
        if (lp == null || !lp.isNumber()) {
            throw bad("a logprob has no logprob value");
        }
        return lp.asDouble();
    }

    private List<Integer> bytes(JsonNode t) {
        JsonNode bytes = t.get("bytes");
        if (bytes == null || bytes.isNull()) {
            return null;
        }
        if (!bytes.isArray()) {
            throw bad("a logprob's bytes are not an array");
        }
        List<Integer> out = new ArrayList<>(bytes.size());
        for (JsonNode b : bytes) {
            if (!b.canConvertToExactIntegral() || b.asInt() < 0 || b.asInt() > 255) {
                throw bad("a logprob's bytes are not bytes");
            }
            out.add(b.asInt());
        }
        return out;
    }

    private String optionalText(JsonNode parent, String field) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw bad(field + " is not a string");
        }
        return node.asText();
    }

    private EngineException bad(String what) {
        return UpstreamFailures.badOutput(what, promptTokensSoFar(), completionTokensSoFar());
    }
}
