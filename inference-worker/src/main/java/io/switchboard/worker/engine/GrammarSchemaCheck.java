package io.switchboard.worker.engine;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;

import io.switchboard.schema.event.FailureCode;

/**
 * Checks a JSON schema before llama.cpp turns it into a grammar, and refuses what its converter cannot take. The
 * in-process binding calls the converter ({@code json_schema_to_grammar}, llama.cpp b4916) without catching its C++
 * exceptions, so a schema it refuses would end the whole worker process, not the request. The check walks the schema
 * the way the converter does ({@code SchemaConverter::visit}: the first rule that applies decides) and refuses, with
 * the JSON pointer of the part, each case where the converter reports an error or reads a value of the wrong JSON
 * type: a {@code $ref} that is not local or does not resolve, a schema with no {@code type} it knows (for instance one
 * with only a {@code description}), a {@code pattern} not anchored with {@code ^...$} or not a regular expression, a
 * non-integer length or item count, and keywords of the wrong JSON type.
 */
final class GrammarSchemaCheck {
    /** llama.cpp's primitive rules, the types a schema may name. */
    private static final Set<String> TYPES = Set.of("boolean", "number", "integer", "value", "object", "array", "uuid",
            "char", "string", "null", "decimal-part", "integral-part");
    private static final Set<String> STRING_FORMATS = Set.of("date", "time", "date-time");

    private final JsonNode root;
    private final Set<String> resolved = new HashSet<>();

    private GrammarSchemaCheck(JsonNode root) {
        this.root = root;
    }

    /** Throws {@link EngineException} ({@code engine_rejected_request}) when llama.cpp could not convert {@code schema}. */
    static void check(JsonNode schema) {
        new GrammarSchemaCheck(schema).visit(schema, "");
    }

    private void visit(JsonNode s, String at) {
        if (!s.isObject()) {
            refuse(at, "a schema must be a JSON object");
        }
        JsonNode type = s.get("type");
        if (s.has("format") && !s.get("format").isTextual()) {
            refuse(at + "/format", "must be a string");
        }
        String format = s.path("format").asText("");
        boolean untyped = type == null || type.isNull();
        if (s.has("$ref")) {
            ref(s.get("$ref"), at + "/$ref");
        } else if (s.has("oneOf") || s.has("anyOf")) {
            String key = s.has("oneOf") ? "oneOf" : "anyOf";
            JsonNode alternatives = s.get(key);
            if (!alternatives.isArray()) {
                refuse(at + "/" + key, "must be an array of schemas");
            }
            for (int i = 0; i < alternatives.size(); i++) {
                visit(alternatives.get(i), at + "/" + key + "/" + i);
            }
        } else if (type != null && type.isArray()) {
            for (int i = 0; i < type.size(); i++) {
                primitive(type.get(i), at + "/type/" + i);
            }
        } else if (s.has("const") || s.has("enum")) {
            return; // any value: written as its literal
        } else if ((untyped || "object".equals(type.asText())) && (s.has("properties")
                || (s.has("additionalProperties") && !s.get("additionalProperties").equals(BooleanNode.TRUE)))) {
            object(s, at);
        } else if ((untyped || "object".equals(type.asText())) && s.has("allOf")) {
            JsonNode all = s.get("allOf");
            if (!all.isArray()) {
                refuse(at + "/allOf", "must be an array of schemas");
            }
            for (int i = 0; i < all.size(); i++) {
                JsonNode part = all.get(i);
                if (part.has("anyOf") && part.get("anyOf").isArray()) {
                    for (int j = 0; j < part.get("anyOf").size(); j++) {
                        component(part.get("anyOf").get(j), at + "/allOf/" + i + "/anyOf/" + j);
                    }
                } else {
                    component(part, at + "/allOf/" + i);
                }
            }
        } else if ((untyped || "array".equals(type.asText())) && (s.has("items") || s.has("prefixItems"))) {
            String key = s.has("items") ? "items" : "prefixItems";
            JsonNode items = s.get(key);
            if (items.isArray()) {
                for (int i = 0; i < items.size(); i++) {
                    visit(items.get(i), at + "/" + key + "/" + i);
                }
            } else {
                visit(items, at + "/" + key);
                integer(s, "minItems", at);
            }
        } else if ((untyped || "string".equals(type.asText())) && s.has("pattern")) {
            pattern(s.get("pattern"), at + "/pattern");
        } else if ((untyped || "string".equals(type.asText()))
                && (format.matches("^uuid[1-5]?$") || STRING_FORMATS.contains(format))) {
            return;
        } else if (type != null && "string".equals(type.asText()) && (s.has("minLength") || s.has("maxLength"))) {
            integer(s, "minLength", at);
            integer(s, "maxLength", at);
        } else if (s.isEmpty() || (type != null && "object".equals(type.asText()))) {
            return;
        } else {
            if (untyped) {
                refuse(at, "has no 'type' (or a keyword that says what its value is)");
            }
            primitive(type, at + "/type");
        }
    }

    private void object(JsonNode s, String at) {
        JsonNode properties = s.get("properties");
        if (properties != null) {
            if (!properties.isObject()) {
                refuse(at + "/properties", "must be an object of schemas");
            }
            for (Map.Entry<String, JsonNode> p : properties.properties()) {
                visit(p.getValue(), at + "/properties/" + p.getKey());
            }
        }
        JsonNode additional = s.get("additionalProperties");
        if (additional != null && !additional.isBoolean()) {
            visit(additional, at + "/additionalProperties");
        }
    }

    /** A part of {@code allOf}: its properties are what counts (a {@code $ref} is followed). */
    private void component(JsonNode part, String at) {
        if (!part.isObject()) {
            refuse(at, "a schema must be a JSON object");
        }
        if (part.has("$ref")) {
            ref(part.get("$ref"), at + "/$ref");
        } else if (part.has("properties")) {
            object(part, at);
        }
    }

    private void ref(JsonNode ref, String at) {
        if (!ref.isTextual() || !ref.asText().startsWith("#/")) {
            refuse(at, "only local references (#/...) are followed");
        }
        String pointer = ref.asText();
        if (!resolved.add(pointer)) {
            return; // followed already (a recursive schema refers to itself)
        }
        JsonNode target = root;
        for (String step : pointer.substring(2).split("/", -1)) {
            if (!target.isObject() || !target.has(step)) {
                refuse(at, "'" + pointer + "' does not resolve");
            }
            target = target.get(step);
        }
        visit(target, pointer.substring(1));
    }

    private static void primitive(JsonNode type, String at) {
        if (!type.isTextual() || !TYPES.contains(type.asText())) {
            refuse(at, "'" + type + "' is not a type llama.cpp can constrain");
        }
    }

    private static void integer(JsonNode s, String key, String at) {
        if (s.has(key) && !s.get(key).canConvertToInt()) {
            refuse(at + "/" + key, "must be an integer");
        }
    }

    private static void pattern(JsonNode pattern, String at) {
        if (!pattern.isTextual() || !pattern.asText().startsWith("^") || !pattern.asText().endsWith("$")) {
            refuse(at, "must be a regular expression that starts with '^' and ends with '$'");
        }
        try {
            java.util.regex.Pattern.compile(pattern.asText());
        } catch (PatternSyntaxException e) {
            refuse(at, "is not a regular expression: " + e.getDescription());
        }
    }

    private static void refuse(String at, String why) {
        throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST, "This engine cannot constrain its answer to the"
                + " JSON schema: " + (at.isEmpty() ? "the schema" : at) + " " + why + ".", null);
    }
}
