package io.switchboard.worker.engine;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.event.FailureCode;

/**
 * Refuses the JSON schemas llama.cpp's converter (b4916, {@code json-schema-to-grammar.cpp}) cannot take without
 * undefined behaviour or endless recursion, which no exception handler survives: a {@code pattern} its reader
 * mishandles (a group that opens with {@code (?}, a quantifier with nothing before it, a {@code {...}} that is not
 * counts, a count above {@value GbnfCheck#MAX_REPEAT}, an unclosed class or group, a stray {@code ]} or {@code }} (its
 * reader loops on them), a backwards range, groups nested deeper than {@value GbnfCheck#MAX_DEPTH}), lengths or item
 * counts above {@value #MAX_COUNT} (a rule per repetition), a {@code minimum} above its {@code maximum} (a grammar
 * no answer satisfies), and an {@code allOf} part whose {@code $ref}s lead back to themselves. Every other schema goes to llama.cpp with the request, whose errors come back
 * as an error of that request ({@link Grammars}). llama-server (c392e50) runs the same converter in its own process:
 * a pattern with {@code (?} or {@code ^*} ends that process, every running answer with it, so the {@code openai}
 * engine checks what it sends to a llama-server too.
 */
public final class GrammarSchemaCheck {
    /** The largest length or item count a schema may ask for (llama.cpp writes a rule per optional repetition). */
    static final int MAX_COUNT = 10_000;
    /** How long a pattern may be (llama.cpp reads it recursively). */
    static final int MAX_PATTERN = 4096;

    private GrammarSchemaCheck() {
    }

    /** Throws {@link EngineException} ({@code engine_rejected_request}) for a schema llama.cpp cannot safely convert. */
    public static void check(JsonNode schema) {
        SchemaWalk.each(schema, (node, at) -> checkOne(node, schema, at));
    }

    private static void checkOne(JsonNode node, JsonNode root, String at) {
        JsonNode pattern = node.get("pattern");
        if (pattern != null && pattern.isTextual()) {
            pattern(pattern.asText(), at + "/pattern");
        }
        for (String count : List.of("minLength", "maxLength", "minItems", "maxItems")) {
            JsonNode n = node.get(count);
            if (n != null && n.isNumber() && (n.asDouble() > MAX_COUNT || n.asDouble() < 0)) {
                refuse(at + "/" + count, "is outside 0.." + MAX_COUNT);
            }
        }
        JsonNode min = node.get("minimum");
        JsonNode max = node.get("maximum");
        if (min != null && max != null && min.isNumber() && max.isNumber() && min.asDouble() > max.asDouble()) {
            refuse(at + "/minimum", "is above its maximum: no value fits");
        }
        JsonNode all = node.get("allOf");
        if (all != null && all.isArray()) {
            for (int i = 0; i < all.size(); i++) {
                JsonNode part = all.get(i);
                if (part.path("anyOf").isArray()) {
                    for (JsonNode alternative : part.get("anyOf")) {
                        refChain(alternative, root, at + "/allOf/" + i);
                    }
                } else {
                    refChain(part, root, at + "/allOf/" + i);
                }
            }
        }
    }

    /** An {@code allOf} part is followed through {@code $ref} after {@code $ref} with no guard: refuse a loop. */
    private static void refChain(JsonNode part, JsonNode root, String at) {
        Set<String> seen = new HashSet<>();
        JsonNode current = part;
        while (current.isObject() && current.path("$ref").isTextual() && current.get("$ref").asText().startsWith("#/")) {
            String ref = current.get("$ref").asText();
            if (!seen.add(ref)) {
                refuse(at, "follows $ref '" + ref + "' back to itself");
            }
            JsonNode target = root;
            for (String step : ref.substring(2).split("/", -1)) {
                target = target.isObject() ? target.path(step) : com.fasterxml.jackson.databind.node.MissingNode.getInstance();
            }
            current = target;
        }
    }

    /** Reads a pattern as llama.cpp's reader does, between its '^' and '$' (a pattern without them is its error). */
    static void pattern(String pattern, String at) {
        if (pattern.length() < 2 || !pattern.startsWith("^") || !pattern.endsWith("$")) {
            return; // llama.cpp answers this with an error of the request
        }
        if (pattern.length() > MAX_PATTERN) {
            refuse(at, "is longer than " + MAX_PATTERN + " characters");
        }
        String body = pattern.substring(1, pattern.length() - 1);
        boolean piece = false; // something before that a quantifier may repeat
        int depth = 0;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            switch (c) {
                case '(' -> {
                    if (i + 1 < body.length() && body.charAt(i + 1) == '?') {
                        refuse(at, "uses '(?', which llama.cpp does not read");
                    }
                    if (++depth > GbnfCheck.MAX_DEPTH) {
                        refuse(at, "nests groups deeper than " + GbnfCheck.MAX_DEPTH);
                    }
                    piece = false;
                }
                case ')' -> {
                    if (--depth < 0 || !piece) {
                        refuse(at, "has an empty or unopened group");
                    }
                    piece = true;
                }
                case '[' -> {
                    int j = i + 1;
                    if (j < body.length() && body.charAt(j) == '^') {
                        j++;
                    }
                    while (j < body.length() && body.charAt(j) != ']') {
                        int[] from = member(body, j, at);
                        j = from[1];
                        if (j + 1 < body.length() && body.charAt(j) == '-' && body.charAt(j + 1) != ']') {
                            int[] to = member(body, j + 1, at);
                            if (to[0] < from[0]) {
                                refuse(at, "has a range that runs backwards");
                            }
                            j = to[1];
                        }
                    }
                    if (j >= body.length()) {
                        refuse(at, "has a character class that does not close");
                    }
                    i = j;
                    piece = true;
                }
                case ']', '}' -> refuse(at, "has a '" + c + "' that closes nothing");
                case '|' -> piece = false;
                case '*', '+', '?' -> {
                    if (!piece) {
                        refuse(at, "has '" + c + "' with nothing before it to repeat");
                    }
                }
                case '{' -> {
                    int end = body.indexOf('}', i);
                    String counts = end < 0 ? "" : body.substring(i + 1, end);
                    if (!piece || end < 0 || !counts.matches("\\d+(,\\d*)?|,\\d+")) {
                        refuse(at, "has a '{' that is not a count of the piece before it");
                    }
                    for (String n : counts.split(",")) {
                        if (!n.isEmpty() && (n.length() > 4 || Integer.parseInt(n) > GbnfCheck.MAX_REPEAT)) {
                            refuse(at, "repeats a piece more than " + GbnfCheck.MAX_REPEAT + " times");
                        }
                    }
                    i = end;
                }
                case '\\' -> {
                    i = escape(body, i, ESCAPES, at)[1] - 1;
                    piece = true;
                }
                default -> piece = true;
            }
        }
        if (depth != 0) {
            refuse(at, "has a group that does not close");
        }
    }

    /** Escapes llama.cpp turns into a literal, or passes on to a grammar that reads them (GBNF's own). */
    private static final String ESCAPES = "[](){}|*+?trn\\\"xuU";
    /** In a class the escape is passed on as written, so only GBNF's own. */
    private static final String CLASS_ESCAPES = "trn\\\"[]xuU";

    /** A member of a class at {@code j}: its value (a code point) and where the next begins. */
    private static int[] member(String body, int j, String at) {
        if (body.charAt(j) == '\\') {
            return escape(body, j, CLASS_ESCAPES, at);
        }
        int c = body.codePointAt(j);
        return new int[] {c, j + Character.charCount(c)};
    }

    /**
     * The escape at {@code at}: its value and where what follows begins. One llama.cpp passes on unread
     * ({@code \\d}, {@code \\w}, {@code \\.}, ...) makes a grammar it cannot parse, which it then drops: the answer would
     * not be constrained at all; so does {@code \\x}, {@code \\u} or {@code \\U} without 2, 4 or 8 hex digits.
     */
    private static int[] escape(String body, int at, String allowed, String where) {
        if (at + 1 >= body.length()) {
            refuse(where, "ends with a lone '\\'");
        }
        char e = body.charAt(at + 1);
        if (allowed.indexOf(e) < 0) {
            refuse(where, "uses the escape '\\" + e + "', which llama.cpp does not read (write a class such as [0-9]"
                    + " or the character itself)");
        }
        int digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
        if (digits == 0) {
            int value = switch (e) {
                case 't' -> '\t';
                case 'r' -> '\r';
                case 'n' -> '\n';
                default -> e;
            };
            return new int[] {value, at + 2};
        }
        String hex = body.substring(at + 2, Math.min(body.length(), at + 2 + digits));
        if (hex.length() < digits || !hex.matches("[0-9a-fA-F]+")) {
            refuse(where, "has '\\" + e + "' without " + digits + " hex digits");
        }
        return new int[] {(int) Long.parseLong(hex, 16), at + 2 + digits};
    }

    private static void refuse(String at, String why) {
        throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST, "This engine cannot constrain its answer to the"
                + " JSON schema: " + (at.isEmpty() ? "the schema" : at) + " " + why + ".", null);
    }
}
