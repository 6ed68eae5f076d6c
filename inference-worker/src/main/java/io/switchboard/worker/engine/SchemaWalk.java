package io.switchboard.worker.engine;

import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Visits every schema object of a JSON schema with its JSON pointer, parents first: what sits under a keyword
 * whose value is data ({@code const}, {@code enum}, {@code default}, {@code examples}) is not a schema, and under one
 * that maps names to schemas ({@code properties}, {@code $defs}, ...) a name is not a keyword.
 */
final class SchemaWalk {
    private static final Set<String> DATA = Set.of("const", "enum", "default", "examples");
    private static final Set<String> MAPS = Set.of("properties", "patternProperties", "$defs", "definitions",
            "dependentSchemas");

    private SchemaWalk() {
    }

    static void each(JsonNode schema, BiConsumer<ObjectNode, String> visit) {
        walk(schema, "", false, visit);
    }

    private static void walk(JsonNode node, String at, boolean names, BiConsumer<ObjectNode, String> visit) {
        if (node instanceof ObjectNode o) {
            if (!names) {
                visit.accept(o, at);
            }
            for (Map.Entry<String, JsonNode> e : o.properties()) {
                if (names || !DATA.contains(e.getKey())) {
                    walk(e.getValue(), at + "/" + e.getKey(), !names && MAPS.contains(e.getKey()), visit);
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), at + "/" + i, false, visit);
            }
        }
    }
}
