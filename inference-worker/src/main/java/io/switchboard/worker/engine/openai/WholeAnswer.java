package io.switchboard.worker.engine.openai;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.switchboard.schema.wire.Json;

/**
 * Cuts a whole (non-streamed) {@code chat.completion} into the chunks a stream of it would have carried, so it is read
 * the same way: per choice, one chunk with its reasoning, text, logprobs and the first piece of each tool call (id,
 * type, name, empty arguments), one chunk per call with its arguments, and a last chunk with its finish reason; the
 * usage rides on the last chunk. Checks only what it needs to cut; the chunks are checked when read.
 */
final class WholeAnswer {
    private WholeAnswer() {
    }

    static List<ObjectNode> chunks(JsonNode completion) {
        return chunks(completion, false);
    }

    /**
     * @param forcedCall the request forced a tool call: text in the answer is the engine's own tool-call format cut short
     *                   (llama-server's generic {@code {"tool_call": ...}} when the call ran out of tokens), never passed
     *                   on as content; the choice then ends with its finish reason ({@code length}) and no call
     */
    static List<ObjectNode> chunks(JsonNode completion, boolean forcedCall) {
        JsonNode choices = completion.get("choices");
        if (!completion.isObject() || choices == null || !choices.isArray()) {
            throw UpstreamFailures.badOutput("the answer has no choices array", 0, 0);
        }
        List<ObjectNode> out = new ArrayList<>();
        for (JsonNode choice : choices) {
            JsonNode message = choice.get("message");
            if (message == null || !message.isObject()) {
                throw UpstreamFailures.badOutput("a choice has no message", 0, 0);
            }
            JsonNode index = choice.get("index");
            ObjectNode delta = Json.MAPPER.createObjectNode();
            copy(message, "reasoning_content", delta);
            copy(message, "reasoning", delta);
            JsonNode calls = message.get("tool_calls");
            if (!forcedCall) {
                copy(message, "content", delta);
            }
            List<ObjectNode> argumentChunks = new ArrayList<>();
            if (calls != null && calls.isArray() && !calls.isEmpty()) {
                ArrayNode starts = delta.putArray("tool_calls");
                for (int i = 0; i < calls.size(); i++) {
                    JsonNode call = calls.get(i);
                    ObjectNode start = starts.addObject();
                    start.put("index", i);
                    start.set("id", call.path("id").isMissingNode() ? null : call.get("id"));
                    start.put("type", "function");
                    ObjectNode function = start.putObject("function");
                    function.set("name", call.path("function").get("name"));
                    function.put("arguments", "");
                    ObjectNode args = Json.MAPPER.createObjectNode();
                    args.put("index", i);
                    args.putObject("function").put("arguments", arguments(call.path("function").get("arguments")));
                    argumentChunks.add(chunk(index, wrap(args), null, null));
                }
            }
            out.add(chunk(index, delta, choice.get("logprobs"), null));
            out.addAll(argumentChunks);
            out.add(chunk(index, Json.MAPPER.createObjectNode(), null, choice.get("finish_reason")));
        }
        if (!out.isEmpty()) {
            ObjectNode last = out.getLast();
            if (completion.has("usage")) {
                last.set("usage", completion.get("usage"));
            }
            if (completion.has("timings")) {
                last.set("timings", completion.get("timings"));
            }
        }
        return out;
    }

    private static String arguments(JsonNode node) {
        if (node == null || node.isNull()) {
            return "";
        }
        // some servers send the arguments as an object rather than as JSON text
        return node.isTextual() ? node.asText() : Json.write(node);
    }

    private static ObjectNode wrap(ObjectNode call) {
        ObjectNode delta = Json.MAPPER.createObjectNode();
        delta.putArray("tool_calls").add(call);
        return delta;
    }

    private static ObjectNode chunk(JsonNode index, ObjectNode delta, JsonNode logprobs, JsonNode finishReason) {
        ObjectNode chunk = Json.MAPPER.createObjectNode();
        ObjectNode choice = chunk.putArray("choices").addObject();
        choice.set("index", index);
        choice.set("delta", delta);
        if (logprobs != null && !logprobs.isNull()) {
            choice.set("logprobs", logprobs);
        }
        choice.set("finish_reason", finishReason);
        return chunk;
    }

    private static void copy(JsonNode from, String field, ObjectNode to) {
        JsonNode value = from.get(field);
        if (value != null && !value.isNull()) {
            to.set(field, value);
        }
    }
}
