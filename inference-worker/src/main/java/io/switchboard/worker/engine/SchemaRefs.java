package io.switchboard.worker.engine;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.switchboard.schema.event.FailureCode;

/**
 * A JSON schema rewritten so that llama.cpp's schema-to-grammar converter (in-process and in llama-server) reads every
 * {@code $ref} as meant. The converter names the rule of a reference after the reference's last segment, and takes a
 * rule of that name that already exists instead of the target: {@code #/properties/a/properties/v} and
 * {@code #/properties/b/properties/v} both became the first one's rule, and a definition named like one of its own
 * rules ({@code #/$defs/integer}) became any integer (both seen on the binding and on llama-server c392e50). Here every
 * local reference points to a definition of its own under {@code $defs}, named {@code <prefix>N-segment} (no name of
 * the schema, a definition's, a property's at any depth or a reference's, starts with the prefix and a digit, so no
 * rule llama.cpp makes can have that name), holding a copy of its target, whose own
 * references are rewritten the same way; one reference has one copy however often it is used, so a recursive
 * schema stays recursive. References that are not local pointers ({@code other.json#...}, {@code #anchor}) and ones that do not
 * resolve are left for the converter to refuse. Copies beyond {@value #MAX_COPIED} schema nodes in all are refused:
 * references to nested parts of a large schema would otherwise copy it over and over.
 */
public final class SchemaRefs {
    private static final String DEFS = "#/$defs/";
    /** How many JSON nodes the copies of referenced parts may hold in all. */
    static final int MAX_COPIED = 100_000;

    private SchemaRefs() {
    }

    /** {@code schema} with every local reference given a definition of its own (itself when it has no reference). */
    public static JsonNode uniqueRuleNames(JsonNode schema) {
        return uniqueRuleNames(schema, "ref");
    }

    /**
     * The same, the new definitions' names starting with {@code prefix}: schemas llama.cpp converts together (the
     * tools of one request) each take a prefix of their own.
     */
    public static JsonNode uniqueRuleNames(JsonNode schema, String prefix) {
        if (!(schema instanceof ObjectNode original) || !hasReference(original)) {
            return schema; // the common case, on every request with a schema: no copy made
        }
        Set<String> taken = takenNames(original);
        String free = freePrefix(prefix, taken);
        ObjectNode root = original.deepCopy();
        Map<String, String> byRef = new HashMap<>();
        Map<String, JsonNode> added = new LinkedHashMap<>();
        int[] copied = {0};
        Deque<JsonNode> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            SchemaWalk.each(todo.pop(), (node, at) -> {
                JsonNode ref = node.get("$ref");
                if (ref == null || !ref.isTextual()) {
                    return;
                }
                String r = ref.asText();
                String name = byRef.get(r);
                if (name == null) {
                    JsonNode target = resolve(original, r);
                    if (target == null) {
                        return;
                    }
                    name = freeName(free + (added.size() + 1), r, taken);
                    byRef.put(r, name);
                    JsonNode copy = target.deepCopy();
                    copied[0] += size(copy);
                    if (copied[0] > MAX_COPIED) {
                        throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST, "The JSON schema's $refs lead "
                                + "to more than " + MAX_COPIED + " nodes in all; refer to $defs instead.", null);
                    }
                    added.put(name, copy);
                    todo.push(copy);
                }
                node.put("$ref", DEFS + name);
            });
        }
        if (added.isEmpty()) {
            return schema;
        }
        ObjectNode defs = root.get("$defs") instanceof ObjectNode d ? d : root.putObject("$defs");
        added.forEach(defs::set);
        return root;
    }

    private static boolean hasReference(JsonNode schema) {
        boolean[] found = {false};
        SchemaWalk.each(schema, (node, at) -> found[0] |= node.path("$ref").isTextual());
        return found[0];
    }

    /** The target of a local JSON-pointer reference ({@code #}, {@code #/...}), null for any other or a missing one. */
    private static JsonNode resolve(JsonNode root, String ref) {
        if (!ref.equals("#") && !ref.startsWith("#/")) {
            return null;
        }
        try {
            JsonNode target = root.at(JsonPointer.compile(ref.substring(1)));
            return target.isMissingNode() ? null : target;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Every name a rule of the converter could take from the schema, as llama.cpp writes rule names (runs of other
     * characters as {@code -}): definitions, properties, and the last segment of every reference.
     */
    private static Set<String> takenNames(JsonNode schema) {
        Set<String> taken = new HashSet<>();
        SchemaWalk.each(schema, (node, at) -> {
            for (String map : new String[] {"$defs", "definitions", "properties"}) {
                if (node.get(map) instanceof ObjectNode names) {
                    names.fieldNames().forEachRemaining(n -> taken.add(ruleName(n)));
                }
            }
            JsonNode ref = node.get("$ref");
            if (ref != null && ref.isTextual()) {
                taken.add(ruleName(ref.asText().substring(ref.asText().lastIndexOf('/') + 1)));
            }
        });
        return taken;
    }

    private static String ruleName(String text) {
        return text.replaceAll("[^A-Za-z0-9-]+", "-");
    }

    /**
     * {@code prefix}, or {@code prefix} and as many {@code x}s as it takes, such that no name of the schema starts with
     * it and a digit: llama.cpp names a rule after a property, a definition or a reference, and a nested property's
     * after its parent's ({@code parent-property}), so a property {@code ref1} holding {@code x} would make a rule
     * {@code ref1-x}. Its own names ({@code root}, {@code string}, ...) never start so.
     */
    private static String freePrefix(String prefix, Set<String> taken) {
        String candidate = prefix;
        while (clashes(candidate, taken)) {
            candidate += "x";
        }
        return candidate;
    }

    private static boolean clashes(String prefix, Set<String> taken) {
        for (String name : taken) {
            if (name.length() > prefix.length() && name.startsWith(prefix)
                    && Character.isDigit(name.charAt(prefix.length()))) {
                return true;
            }
        }
        return false;
    }

    private static String freeName(String numbered, String ref, Set<String> taken) {
        String segment = ruleName(ref.substring(ref.lastIndexOf('/') + 1));
        String base = segment.isEmpty() || segment.equals("-") ? numbered : numbered + "-" + segment;
        String name = base;
        for (int i = 2; taken.contains(name); i++) {
            name = base + "-" + i;
        }
        taken.add(name);
        return name;
    }

    private static int size(JsonNode node) {
        int n = 0;
        Deque<JsonNode> todo = new ArrayDeque<>();
        todo.push(node);
        while (!todo.isEmpty()) {
            n++;
            todo.pop().elements().forEachRemaining(todo::push);
        }
        return n;
    }
}
