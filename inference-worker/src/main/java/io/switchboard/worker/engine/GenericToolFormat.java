package io.switchboard.worker.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
        String named = o.namedTool();
        List<JsonNode> functions = new ArrayList<>();
        for (JsonNode tool : o.tools()) {
            JsonNode f = tool.path("function");
            if (named == null || named.equals(f.path("name").asText())) {
                functions.add(f);
            }
        }
        if (functions.isEmpty()) { // the gateway refuses this first (SurfaceRules); kept for jobs from elsewhere
            throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST,
                    "tool_choice names the function '" + named + "', which is not in tools.", null);
        }
        JsonNode format = Grammars.responseSchema(o);
        JsonNode response = format != null ? format : Json.MAPPER.createObjectNode().put("type", "string");
        // a named function is called once, as OpenAI does; otherwise several calls unless parallel_tool_calls is false
        boolean parallel = named == null && !Boolean.FALSE.equals(o.parallelToolCalls());
        return new GenericToolFormat(List.copyOf(functions), parallel, o.toolCallForced(), response);
    }

    /**
     * The JSON schema every answer follows (a grammar is made of it). Each tool's parameters (and the reply's schema)
     * sit inside it; one that refers to its own parts ({@code $ref}) is moved to the root's {@code $defs}, and its
     * references follow it.
     */
    ObjectNode schema() {
        ObjectNode defs = Json.MAPPER.createObjectNode();
        List<JsonNode> calls = new ArrayList<>();
        for (int i = 0; i < functions.size(); i++) {
            JsonNode f = functions.get(i);
            ObjectNode call = Json.MAPPER.createObjectNode().put("type", "object");
            ObjectNode properties = call.putObject("properties");
            properties.putObject("name").put("type", "string").put("const", f.path("name").asText());
            properties.set("arguments", embedded(f.path("parameters").isObject() ? f.get("parameters")
                    : Json.MAPPER.createObjectNode().put("type", "object"), "tool" + i, defs));
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
        ObjectNode root;
        if (required) {
            root = toolCall;
        } else {
            ObjectNode reply = Json.MAPPER.createObjectNode().put("type", "object");
            reply.putObject("properties").set(RESPONSE, embedded(responseSchema, "response", defs));
            reply.putArray("required").add(RESPONSE);
            root = anyOf(List.of(toolCall, reply));
        }
        if (!defs.isEmpty()) {
            root.set("$defs", defs);
        }
        return root;
    }

    /**
     * {@code schema} for use inside the answer's schema, under the unique {@code name}. Its own definitions move to the
     * root's {@code $defs} as {@code name-definition} (llama.cpp names a rule after a reference's last segment, so two
     * tools' {@code Person}s must not meet), and its references follow; one that refers to other parts of it
     * ({@code #}, {@code #/properties/...}) is itself moved to {@code $defs/name} and referred to.
     */
    static JsonNode embedded(JsonNode schema, String name, ObjectNode defs) {
        if (!schema.isObject()) {
            return schema;
        }
        ObjectNode moved = (ObjectNode) schema.deepCopy();
        java.util.Map<String, JsonNode> own = new java.util.LinkedHashMap<>();
        for (String key : List.of("$defs", "definitions")) {
            JsonNode d = moved.remove(key);
            if (d != null && d.isObject()) {
                d.properties().forEach(e -> own.put(e.getKey(), e.getValue()));
            }
        }
        boolean[] self = {false};
        java.util.function.UnaryOperator<String> follow = ref -> {
            Matcher m = OWN_DEFINITION.matcher(ref);
            if (m.matches() && own.containsKey(m.group(1))) {
                return "#/$defs/" + name + "-" + m.group(1) + m.group(2);
            }
            if (ref.equals("#") || ref.startsWith("#/")) {
                self[0] = true;
                return "#/$defs/" + name + ref.substring(1);
            }
            return ref;
        };
        rewriteRefs(moved, follow);
        own.forEach((definition, value) -> {
            JsonNode copy = value.deepCopy();
            rewriteRefs(copy, follow);
            defs.set(name + "-" + definition, copy);
        });
        if (!self[0]) {
            return moved;
        }
        defs.set(name, moved);
        return Json.MAPPER.createObjectNode().put("$ref", "#/$defs/" + name);
    }

    private static final Pattern OWN_DEFINITION = Pattern.compile("^#/(?:\\$defs|definitions)/([^/]+)(.*)$");

    /** Rewrites every {@code $ref} of a schema (not those inside data, nor a property that is merely named so). */
    private static void rewriteRefs(JsonNode schema, java.util.function.UnaryOperator<String> follow) {
        SchemaWalk.each(schema, (node, at) -> {
            JsonNode ref = node.get("$ref");
            if (ref != null && ref.isTextual()) {
                node.put("$ref", follow.apply(ref.asText()));
            }
        });
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
        List<PromptMessage> out = new ArrayList<>(history(messages, parallel));
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
        return history(messages, true);
    }

    /** The same; {@code list} false writes a single earlier call as {@code {"tool_call": ...}}, as answers then are. */
    private static List<PromptMessage> history(List<PromptMessage> messages, boolean list) {
        List<PromptMessage> out = new ArrayList<>(messages.size());
        boolean lastFromTool = false;
        for (PromptMessage m : messages) {
            String content = m.content() == null ? "" : m.content();
            boolean fromTool = "tool".equals(m.role());
            PromptMessage written;
            if ("developer".equals(m.role())) {
                written = new PromptMessage("system", content);
            } else if (fromTool) {
                ObjectNode response = Json.MAPPER.createObjectNode();
                ObjectNode r = response.putObject("tool_response");
                if (m.toolCallId() != null) {
                    r.put("tool_call_id", m.toolCallId());
                }
                if (m.name() != null) {
                    r.put("tool", m.name());
                }
                r.put("content", content);
                written = new PromptMessage("user", Json.write(response));
            } else if (m.toolCalls() != null) {
                ObjectNode calls = Json.MAPPER.createObjectNode();
                boolean one = !list && m.toolCalls().size() == 1;
                ArrayNode several = one ? null : calls.putArray(CALLS);
                for (ToolCall c : m.toolCalls()) {
                    ObjectNode call = one ? calls.putObject(CALL) : several.addObject();
                    call.put("name", c.function().name());
                    call.set("arguments", arguments(c.function().arguments()));
                    call.put("id", c.id());
                }
                written = new PromptMessage(m.role(), (content.isEmpty() ? "" : content + "\n") + Json.write(calls));
            } else {
                written = new PromptMessage(m.role(), content);
            }
            // several tool results, or one and the user's next words, are one user turn: templates that want user and
            // assistant to take turns (Llama 2, Mistral) refuse two user messages in a row
            if ((fromTool || lastFromTool) && "user".equals(written.role()) && !out.isEmpty()
                    && "user".equals(out.getLast().role())) {
                written = new PromptMessage("user", out.removeLast().content() + "\n" + written.content());
            }
            out.add(written);
            lastFromTool = fromTool;
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

    /**
     * What one answer says: the calls it makes, or its reply; {@code whole} when the answer was a complete JSON object
     * (else it was cut short, by {@code max_tokens}, and holds what was written so far).
     */
    record Answer(List<ToolCall.Function> calls, String content, boolean whole) {
        boolean calling() {
            return !calls.isEmpty();
        }

        /** The reply cut before the first of {@code stop} (calls are not cut); whether it was. */
        Answer cutAt(List<String> stop) {
            int at = -1;
            for (String s : stop) {
                int i = content.indexOf(s);
                if (i >= 0 && (at < 0 || i < at)) {
                    at = i;
                }
            }
            return at < 0 || calling() ? this : new Answer(calls, content.substring(0, at), whole);
        }
    }

    private static final Pattern REPLY = Pattern.compile("^\\s*\\{\\s*\"response\"\\s*:\\s*");

    /**
     * Reads the model's answer. A whole answer follows the schema (its grammar saw to that); one cut short is read as
     * far as it goes: the calls begun (the last one's arguments as far as written), or the reply's text so far. Each
     * call's arguments are passed on as the model wrote them.
     */
    static Answer read(String output) {
        Matcher reply = REPLY.matcher(output);
        if (reply.find()) {
            try {
                JsonNode value = Json.MAPPER.readTree(output).get(RESPONSE);
                return new Answer(List.of(), value.isTextual() ? value.asText() : Json.write(value), true);
            } catch (java.io.IOException | RuntimeException e) {
                String rest = output.substring(reply.end());
                return new Answer(List.of(), rest.startsWith("\"") ? unescapePrefix(rest.substring(1)) : rest, false);
            }
        }
        List<ToolCall.Function> calls = new ArrayList<>();
        boolean whole = false;
        try (JsonParser p = Json.MAPPER.createParser(output)) {
            if (p.nextToken() == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken value = p.nextToken();
                    if (CALLS.equals(field) && value == JsonToken.START_ARRAY) {
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            readCall(p, output, calls);
                        }
                    } else if (CALL.equals(field) && value == JsonToken.START_OBJECT) {
                        readCall(p, output, calls);
                    } else {
                        p.skipChildren();
                    }
                }
                whole = p.currentToken() == JsonToken.END_OBJECT;
            }
        } catch (java.io.IOException e) {
            // cut short: what was read so far stands
        }
        return new Answer(calls, "", whole);
    }

    /** One call object, its start already read; a call whose name was written is kept even when cut short. */
    private static void readCall(JsonParser p, String output, List<ToolCall.Function> calls) throws java.io.IOException {
        String name = null;
        String arguments = "";
        try {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if ("name".equals(field)) {
                    name = p.getText();
                } else if ("arguments".equals(field)) {
                    int from = (int) p.currentTokenLocation().getCharOffset();
                    try {
                        p.skipChildren();
                        arguments = output.substring(from, (int) p.currentLocation().getCharOffset());
                    } catch (java.io.IOException e) {
                        arguments = output.substring(from).stripTrailing();
                        throw e;
                    }
                } else {
                    p.skipChildren();
                }
            }
        } finally {
            if (name != null) {
                calls.add(new ToolCall.Function(name, arguments));
            }
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
                        i = body.length();
                        continue;
                    }
                    out.append((char) Integer.parseInt(body.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> out.append(e);
            }
        }
        if (!out.isEmpty() && Character.isHighSurrogate(out.charAt(out.length() - 1))) {
            out.setLength(out.length() - 1); // cut between the two halves of a pair
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
