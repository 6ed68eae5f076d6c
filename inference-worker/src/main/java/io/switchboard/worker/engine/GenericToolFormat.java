package io.switchboard.worker.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.GenerationOptions;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.ToolCall;
import io.switchboard.schema.wire.Json;

/**
 * Tool use for an engine that has no tool-call format of its own but takes a grammar (the in-process llama.cpp
 * binding): llama.cpp's "generic" format. The model is told the tools in a system message and answers one JSON object,
 * constrained by a grammar made from {@link #schema()}: {@code {"tool_calls": [{"name": ..., "arguments": {...}}]}}
 * ({@code {"tool_call": {...}}} when {@code parallel_tool_calls} is false), or, unless a call is required, {@code
 * {"response": ...}}. {@link #read} turns that object into what OpenAI returns: tool calls with ids of our own, or the
 * response as content. Earlier calls and tool results in the conversation are written the same way
 * ({@link #history}), so any chat template takes them.
 */
final class GenericToolFormat {
    private static final String CALLS = "tool_calls";
    private static final String CALL = "tool_call";
    private static final String RESPONSE = "response";

    private final List<JsonNode> functions;
    private final boolean parallel;
    private final boolean required;
    private final JsonNode responseSchema;

    private GenericToolFormat(List<JsonNode> functions, boolean parallel, boolean required, JsonNode responseSchema) {
        this.functions = functions;
        this.parallel = parallel;
        this.required = required;
        this.responseSchema = responseSchema;
    }

    /** The format for a job's options; null when the job may not call tools ({@code tool_choice: "none"}, no tools). */
    static GenericToolFormat of(GenerationOptions o) {
        if (!o.toolsEnabled()) {
            return null;
        }
        if (o.extensionsOrEmpty().containsKey("structured_outputs")) {
            throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST,
                    "This engine cannot combine structured_outputs with tools.", null);
        }
        JsonNode choice = o.toolChoice();
        String named = choice != null && choice.isObject() ? choice.path("function").path("name").asText(null) : null;
        List<JsonNode> functions = new ArrayList<>();
        for (JsonNode tool : o.tools()) {
            JsonNode f = tool.path("function");
            if (named == null || named.equals(f.path("name").asText())) {
                functions.add(f);
            }
        }
        if (functions.isEmpty()) {
            throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST,
                    "tool_choice names the function '" + named + "', which is not in tools.", null);
        }
        boolean required = named != null || (choice != null && "required".equals(choice.asText()));
        JsonNode response = switch (o.responseFormatType()) {
            case "json_object" -> Json.MAPPER.createObjectNode().put("type", "object");
            case "json_schema" -> o.responseFormat().path("json_schema").path("schema").isObject()
                    ? o.responseFormat().path("json_schema").path("schema")
                    : Json.MAPPER.createObjectNode().put("type", "object");
            default -> Json.MAPPER.createObjectNode().put("type", "string");
        };
        return new GenericToolFormat(List.copyOf(functions), !Boolean.FALSE.equals(o.parallelToolCalls()), required,
                response);
    }

    /** The JSON schema every answer follows (a grammar is made of it). */
    String schema() {
        List<JsonNode> calls = new ArrayList<>();
        for (JsonNode f : functions) {
            ObjectNode call = Json.MAPPER.createObjectNode().put("type", "object");
            ObjectNode properties = call.putObject("properties");
            properties.putObject("name").put("type", "string").put("const", f.path("name").asText());
            properties.set("arguments", f.path("parameters").isObject() ? f.get("parameters")
                    : Json.MAPPER.createObjectNode().put("type", "object"));
            call.putArray("required").add("name").add("arguments");
            calls.add(call);
        }
        JsonNode one = calls.size() == 1 ? calls.getFirst() : anyOf(calls);
        ObjectNode toolCall = Json.MAPPER.createObjectNode().put("type", "object");
        if (parallel) {
            toolCall.putObject("properties").putObject(CALLS).put("type", "array").put("minItems", 1).set("items", one);
            toolCall.putArray("required").add(CALLS);
        } else {
            toolCall.putObject("properties").set(CALL, one);
            toolCall.putArray("required").add(CALL);
        }
        if (required) {
            return Json.write(toolCall);
        }
        ObjectNode reply = Json.MAPPER.createObjectNode().put("type", "object");
        reply.putObject("properties").set(RESPONSE, responseSchema);
        reply.putArray("required").add(RESPONSE);
        return Json.write(anyOf(List.of(toolCall, reply)));
    }

    /** The conversation as the model gets it: the tools and how to answer in a system message, tool use as text. */
    List<PromptMessage> prompt(List<PromptMessage> messages) {
        ArrayNode tools = Json.MAPPER.createArrayNode();
        for (JsonNode f : functions) {
            ObjectNode t = tools.addObject().put("name", f.path("name").asText());
            if (f.hasNonNull("description")) {
                t.put("description", f.get("description").asText());
            }
            if (f.path("parameters").isObject()) {
                t.set("parameters", f.get("parameters"));
            }
        }
        String key = parallel ? "`" + CALLS + "` (a list of calls)" : "`" + CALL + "` (a call)";
        String instruction = "You can call these tools:\n" + Json.write(tools) + "\n"
                + (required ? "Respond in JSON format with " + key + ", each call with the tool's `name` and its `arguments`."
                        : "Respond in JSON format, either with " + key
                                + ", each call with the tool's `name` and its `arguments`, or with `response`, your reply"
                                + " to the user's request.");
        List<PromptMessage> out = new ArrayList<>(history(messages));
        if (!out.isEmpty() && "system".equals(out.getFirst().role())) {
            out.set(0, new PromptMessage("system", out.getFirst().content() + "\n\n" + instruction));
        } else {
            out.addFirst(new PromptMessage("system", instruction));
        }
        return out;
    }

    /**
     * The conversation with tool use written as text every chat template takes: an assistant's calls as the generic
     * format's JSON, a tool's result as a user message {@code {"tool_response": ...}}; {@code developer} is
     * {@code system}.
     */
    static List<PromptMessage> history(List<PromptMessage> messages) {
        List<PromptMessage> out = new ArrayList<>(messages.size());
        for (PromptMessage m : messages) {
            String content = m.content() == null ? "" : m.content();
            if ("developer".equals(m.role())) {
                out.add(new PromptMessage("system", content));
            } else if ("tool".equals(m.role())) {
                ObjectNode response = Json.MAPPER.createObjectNode();
                ObjectNode r = response.putObject("tool_response");
                if (m.toolCallId() != null) {
                    r.put("tool_call_id", m.toolCallId());
                }
                if (m.name() != null) {
                    r.put("tool", m.name());
                }
                r.put("content", content);
                out.add(new PromptMessage("user", Json.write(response)));
            } else if (m.toolCalls() != null) {
                ObjectNode calls = Json.MAPPER.createObjectNode();
                ArrayNode list = calls.putArray(CALLS);
                for (ToolCall c : m.toolCalls()) {
                    ObjectNode call = list.addObject().put("name", c.function().name());
                    call.set("arguments", arguments(c.function().arguments()));
                    call.put("id", c.id());
                }
                out.add(new PromptMessage(m.role(), (content.isEmpty() ? "" : content + "\n") + Json.write(calls)));
            } else {
                out.add(new PromptMessage(m.role(), content));
            }
        }
        return out;
    }

    private static JsonNode arguments(String text) {
        try {
            JsonNode parsed = Json.MAPPER.readTree(text == null ? "" : text);
            return parsed == null || parsed.isMissingNode() ? Json.MAPPER.getNodeFactory().textNode("") : parsed;
        } catch (java.io.IOException e) {
            return Json.MAPPER.getNodeFactory().textNode(text);
        }
    }

    /** What one answer says: the calls it makes, or its reply (either may be partial when the answer was cut short). */
    record Answer(List<ToolCall.Function> calls, String content) {
        boolean calling() {
            return !calls.isEmpty();
        }
    }

    private static final Pattern NAME = Pattern.compile("\"name\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern ARGUMENTS = Pattern.compile("\"arguments\"\\s*:\\s*");
    private static final Pattern REPLY = Pattern.compile("^\\s*\\{\\s*\"response\"\\s*:\\s*");

    /**
     * Reads the model's answer. A whole answer follows the schema (its grammar saw to that); one cut short by
     * {@code max_tokens} is read as far as it goes: the calls begun (the last one's arguments as far as written), or
     * the reply's text so far.
     */
    static Answer read(String output) {
        JsonNode whole;
        try {
            whole = Json.MAPPER.readTree(output);
        } catch (java.io.IOException e) {
            whole = null;
        }
        if (whole != null && whole.isObject()) {
            List<ToolCall.Function> calls = new ArrayList<>();
            whole.path(CALLS).forEach(c -> calls.add(function(c)));
            if (whole.path(CALL).isObject()) {
                calls.add(function(whole.get(CALL)));
            }
            JsonNode reply = whole.get(RESPONSE);
            String content = reply == null || reply.isNull() ? "" : reply.isTextual() ? reply.asText() : Json.write(reply);
            return new Answer(calls, calls.isEmpty() ? content : "");
        }
        return readPartial(output);
    }

    private static ToolCall.Function function(JsonNode call) {
        JsonNode args = call.path("arguments");
        return new ToolCall.Function(call.path("name").asText(), args.isMissingNode() ? "{}" : Json.write(args));
    }

    private static Answer readPartial(String output) {
        Matcher reply = REPLY.matcher(output);
        if (reply.find()) {
            String rest = output.substring(reply.end());
            return new Answer(List.of(), rest.startsWith("\"") ? unescapePrefix(rest.substring(1)) : rest);
        }
        List<ToolCall.Function> calls = new ArrayList<>();
        Matcher name = NAME.matcher(output);
        int from = 0;
        while (name.find(from)) {
            Matcher args = ARGUMENTS.matcher(output);
            int end = output.length();
            String arguments = "";
            if (args.find(name.end())) {
                Matcher next = NAME.matcher(output);
                end = next.find(args.end()) ? next.start() : output.length();
                arguments = output.substring(args.end(), end);
                // a whole call's arguments end before the "}" of the call and the "," or "]" after it
                JsonNode parsed = wholeJsonPrefix(arguments);
                arguments = parsed != null ? Json.write(parsed) : arguments;
            }
            calls.add(new ToolCall.Function(unescapePrefix(name.group(1)), arguments));
            from = Math.max(end, name.end());
        }
        return new Answer(calls, "");
    }

    /** The first whole JSON value at the start of {@code text}, or null when it is cut short. */
    private static JsonNode wholeJsonPrefix(String text) {
        try (var parser = Json.MAPPER.createParser(text)) {
            JsonNode node = Json.MAPPER.reader().without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .readTree(parser);
            return node == null || node.isMissingNode() ? null : node;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** The text of a JSON string's body up to its closing quote or, cut short, as far as it goes. */
    private static String unescapePrefix(String body) {
        StringBuilder out = new StringBuilder(body.length());
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '"') {
                break;
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (++i >= body.length()) {
                break;
            }
            char e = body.charAt(i);
            switch (e) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'u' -> {
                    if (i + 4 >= body.length()) {
                        return out.toString();
                    }
                    out.append((char) Integer.parseInt(body.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> out.append(e);
            }
        }
        return out.toString();
    }

    /**
     * Hands an answer to {@code sink} as OpenAI streams it: each call's id, type and name first, then its arguments; or
     * the reply as text. Returns whether it made calls.
     */
    static boolean emit(Answer answer, InferenceEngine.EventSink sink, Supplier<String> ids) {
        for (int i = 0; i < answer.calls().size(); i++) {
            ToolCall.Function f = answer.calls().get(i);
            sink.delta(TokenEvent.Delta.toolCalls(0, List.of(ToolCall.Chunk.start(i, ids.get(), f.name()))));
            if (!f.arguments().isEmpty()) {
                sink.delta(TokenEvent.Delta.toolCalls(0, List.of(ToolCall.Chunk.arguments(i, f.arguments()))));
            }
        }
        if (!answer.calling() && !answer.content().isEmpty()) {
            sink.text(answer.content());
        }
        return answer.calling();
    }

    private static ObjectNode anyOf(List<JsonNode> schemas) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.putArray("anyOf").addAll(schemas);
        return node;
    }
}
