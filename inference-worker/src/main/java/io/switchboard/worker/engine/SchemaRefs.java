package io.switchboard.worker.engine;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A JSON schema rewritten so that llama.cpp's schema-to-grammar converter (in-process and in llama-server) reads every
 * {@code $ref} as meant. The converter names the rule of a reference after the reference's last segment, and takes a
 * rule of that name that already exists instead of the target: {@code #/properties/a/properties/v} and
 * {@code #/properties/b/properties/v} both became the first one's rule, and a definition named like one of its own
 * rules ({@code #/$defs/string}) became any string (both seen on llama-server c392e50). Here every local reference
 * points to a definition of its own under {@code $defs}, named {@code refN-segment} (a name none of the converter's rules
 * has), holding a copy of its target, whose own references are rewritten the same way; a recursive schema stays
 * recursive (one name per reference). References that are not local pointers ({@code other.json#...}, {@code #anchor})
 * and ones that do not resolve are left for the converter to refuse.
 */
public final class SchemaRefs {
    private static final String DEFS = "#/$defs/";

    private SchemaRefs() {
    }

    /** {@code schema} with every local reference given a definition of its own (itself when it has no reference). */
    public static JsonNode uniqueRuleNames(JsonNode schema) {
        if (!(schema instanceof ObjectNode original)) {
            return schema;
        }
        ObjectNode root = original.deepCopy();
        Map<String, String> names = new LinkedHashMap<>(); // reference -> its definition's name
        Map<String, JsonNode> added = new LinkedHashMap<>();
        JsonNode userDefs = original.get("$defs");
        Deque<JsonNode> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            SchemaWalk.each(todo.pop(), (node, at) -> {
                JsonNode ref = node.get("$ref");
                if (ref == null || !ref.isTextual()) {
                    return;
                }
                String r = ref.asText();
                String name = names.get(r);
                if (name == null) {
                    JsonNode target = resolve(original, r);
                    if (target == null) {
                        return;
                    }
                    name = freeName(names.size() + 1, r, userDefs);
                    names.put(r, name);
                    JsonNode copy = target.deepCopy();
                    added.put(name, copy);
                    todo.push(copy);
                }
                node.put("$ref", DEFS + name);
            });
        }
        if (names.isEmpty()) {
            return schema;
        }
        ObjectNode defs = root.get("$defs") instanceof ObjectNode d ? d : root.putObject("$defs");
        added.forEach(defs::set);
        return root;
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

    private static String freeName(int n, String ref, JsonNode userDefs) {
        String segment = ref.substring(ref.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9]+", "-");
        String base = "ref" + n + (segment.isEmpty() || segment.equals("#") ? "" : "-" + segment);
        String name = base;
        for (int i = 2; userDefs != null && userDefs.has(name); i++) {
            name = base + "-" + i;
        }
        return name;
    }
}
