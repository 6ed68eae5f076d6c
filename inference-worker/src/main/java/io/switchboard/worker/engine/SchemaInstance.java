package io.switchboard.worker.engine;

import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The smallest JSON value a JSON schema accepts, for the simulated engine's structured answers and tool arguments:
 * objects get their required properties (all of them under {@code strict}, which requires every one), strings a fixed
 * word (or the first {@code enum} / {@code const} value), numbers their minimum or 0, arrays their minimum number of
 * items. Covers the subset OpenAI's structured outputs accept; anything else becomes {@code null} only where the
 * schema allows it, else an empty object.
 */
public final class SchemaInstance {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private SchemaInstance() {
    }

    public static JsonNode of(JsonNode schema) {
        return of(schema, schema, 0);
    }

    private static JsonNode of(JsonNode schema, JsonNode root, int depth) {
        if (schema == null || !schema.isObject() || depth > 16) {
            return F.objectNode();
        }
        if (schema.has("$ref") && schema.get("$ref").asText().startsWith("#/")) {
            JsonNode target = root.at(schema.get("$ref").asText().substring(1));
            return of(target.isMissingNode() ? null : target, root, depth + 1);
        }
        if (schema.has("const")) {
            return schema.get("const");
        }
        if (schema.path("enum").isArray() && !schema.get("enum").isEmpty()) {
            return schema.get("enum").get(0);
        }
        for (String union : new String[] {"anyOf", "oneOf", "allOf"}) {
            if (schema.path(union).isArray() && !schema.get(union).isEmpty()) {
                return of(schema.get(union).get(0), root, depth + 1);
            }
        }
        JsonNode type = schema.get("type");
        String t = type == null ? (schema.has("properties") ? "object" : "string")
                : type.isArray() ? type.get(0).asText() : type.asText();
        return switch (t) {
            case "object" -> object(schema, root, depth);
            case "array" -> {
                ArrayNode a = F.arrayNode();
                for (int i = 0; i < schema.path("minItems").asInt(0); i++) {
                    a.add(of(schema.get("items"), root, depth + 1));
                }
                yield a;
            }
            case "integer" -> F.numberNode(schema.path("minimum").asLong(0));
            case "number" -> F.numberNode(schema.path("minimum").asDouble(0));
            case "boolean" -> F.booleanNode(true);
            case "null" -> F.nullNode();
            default -> F.textNode("story".repeat(Math.max(1, (schema.path("minLength").asInt(0) + 4) / 5)));
        };
    }

    private static ObjectNode object(JsonNode schema, JsonNode root, int depth) {
        ObjectNode o = F.objectNode();
        JsonNode props = schema.path("properties");
        JsonNode required = schema.path("required");
        for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> p = it.next();
            boolean needed = !required.isArray() || contains(required, p.getKey());
            if (needed) {
                o.set(p.getKey(), of(p.getValue(), root, depth + 1));
            }
        }
        return o;
    }

    private static boolean contains(JsonNode array, String value) {
        for (JsonNode n : array) {
            if (value.equals(n.asText())) {
                return true;
            }
        }
        return false;
    }
}
