package io.switchboard.worker.engine;

import java.lang.reflect.Field;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import de.kherud.llama.InferenceParameters;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.GenerationOptions;
import io.switchboard.schema.wire.Json;

/**
 * What constrains a job's answer on llama.cpp: a GBNF grammar ({@code structured_outputs.grammar}, {@code choice}), or
 * a JSON schema llama.cpp turns into one ({@code response_format} {@code json_object} / {@code json_schema},
 * {@code structured_outputs.json}, the tool format).
 * <p>
 * A schema goes to llama.cpp with the request ({@code json_schema}), not through the binding's own
 * {@code LlamaModel.jsonSchemaToGrammar}: that call does not catch the converter's C++ exceptions, so a schema the
 * converter refuses ended the whole process, where the request's path turns them into an exception of the request.
 * What even that path cannot survive is refused first ({@link GrammarSchemaCheck}).
 */
record Grammars(String grammar, String jsonSchema) {
    private static final Field PARAMETERS;

    static {
        try {
            // the binding's request parameters (JSON values by name): it has no setter for json_schema
            PARAMETERS = InferenceParameters.class.getSuperclass().getDeclaredField("parameters");
            PARAMETERS.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Loads the class (its reflection), so that a binding it does not fit fails the worker's start, not a request. */
    static void ready() {
        // the static initializer has run
    }

    /** The constraint of a job's options, or null when its answer is free text. */
    static Grammars of(GenerationOptions options) {
        JsonNode structured = options.extensionsOrEmpty().get("structured_outputs");
        if (structured != null && structured.isObject()) {
            if (structured.hasNonNull("grammar")) {
                String grammar = structured.get("grammar").asText();
                if (grammar.stripLeading().startsWith("%llguidance")) { // llama.cpp b4916 aborts on it
                    throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST,
                            "This engine takes GBNF grammars only, not llguidance.", null);
                }
                GbnfCheck.check(grammar);
                return new Grammars(grammar, null);
            }
            if (structured.hasNonNull("json")) {
                JsonNode json = structured.get("json");
                return json.isTextual() ? schema(json.asText()) : schema(json);
            }
            if (structured.path("choice").isArray()) {
                StringBuilder g = new StringBuilder("root ::= ");
                for (int i = 0; i < structured.get("choice").size(); i++) {
                    g.append(i == 0 ? "" : " | ").append(literal(structured.get("choice").get(i).asText()));
                }
                GbnfCheck.check(g.toString());
                return new Grammars(g.toString(), null);
            }
            throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST,
                    "This engine supports structured_outputs with 'json', 'grammar' or 'choice' only.", null);
        }
        JsonNode format = responseSchema(options);
        return format == null ? null : schema(format);
    }

    /**
     * The schema {@code response_format} asks for: any object for {@code json_object}, the given one (or any object)
     * for {@code json_schema}; null for text.
     */
    static JsonNode responseSchema(GenerationOptions options) {
        return switch (options.responseFormatType()) {
            case "json_object" -> Json.MAPPER.createObjectNode().put("type", "object");
            case "json_schema" -> {
                JsonNode s = options.responseFormat().path("json_schema").path("schema");
                yield s.isObject() ? s : Json.MAPPER.createObjectNode().put("type", "object");
            }
            default -> null;
        };
    }

    /** {@code text} as a GBNF literal: only the escapes GBNF reads ({@code \\ \" \n \r \t \xHH}). */
    static String literal(String text) {
        StringBuilder out = new StringBuilder("\"");
        text.codePoints().forEach(c -> {
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\x%02x", c));
                    } else {
                        out.appendCodePoint(c);
                    }
                }
            }
        });
        return out.append('"').toString();
    }

    /** A JSON schema given as text ({@code structured_outputs.json} may be), read first. */
    static Grammars schema(String schema) {
        try {
            return schema(Json.MAPPER.readTree(schema));
        } catch (java.io.IOException e) {
            throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST, "The JSON schema is not JSON.", e);
        }
    }

    /** A JSON schema as the constraint, checked first and written as JSON llama.cpp reads. */
    static Grammars schema(JsonNode schema) {
        JsonNode sent = SchemaRefs.uniqueRuleNames(schema);
        GrammarSchemaCheck.check(sent); // what llama.cpp gets: references followed as it will follow them
        return new Grammars(null, Json.write(sent));
    }

    /** Puts the constraint on a request. */
    @SuppressWarnings("unchecked")
    void applyTo(InferenceParameters params) {
        if (grammar != null) {
            params.setGrammar(grammar);
            return;
        }
        try {
            ((Map<String, String>) PARAMETERS.get(params)).put("json_schema", jsonSchema);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
