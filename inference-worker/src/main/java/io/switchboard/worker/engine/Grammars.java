package io.switchboard.worker.engine;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.GenerationOptions;
import io.switchboard.schema.wire.Json;

/**
 * The GBNF grammar that constrains a job's answer, for engines that take a grammar (llama.cpp): from
 * {@code response_format} ({@code json_object}: any JSON object; {@code json_schema}: its schema) or from vLLM's
 * {@code structured_outputs} ({@code json}, {@code grammar}, {@code choice}). Converting a schema costs a native call,
 * so the last few grammars are kept.
 */
final class Grammars {
    private static final int KEPT = 64;
    private final UnaryOperator<String> schemaToGrammar;
    private final Map<String, String> cache = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > KEPT;
        }
    });

    Grammars(UnaryOperator<String> schemaToGrammar) {
        this.schemaToGrammar = schemaToGrammar;
    }

    /** The grammar for the job's options, or null when its answer is free text. */
    String of(GenerationOptions options) {
        JsonNode structured = options.extensionsOrEmpty().get("structured_outputs");
        if (structured != null && structured.isObject()) {
            if (structured.hasNonNull("grammar")) {
                return structured.get("grammar").asText();
            }
            if (structured.hasNonNull("json")) {
                JsonNode json = structured.get("json");
                return schema(json.isTextual() ? json.asText() : Json.write(json));
            }
            if (structured.path("choice").isArray()) {
                StringBuilder g = new StringBuilder("root ::= ");
                for (int i = 0; i < structured.get("choice").size(); i++) {
                    g.append(i == 0 ? "" : " | ").append(Json.write(structured.get("choice").get(i).asText()));
                }
                return g.toString();
            }
            throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST,
                    "This engine supports structured_outputs with 'json', 'grammar' or 'choice' only.", null);
        }
        return switch (options.responseFormatType()) {
            case "json_object" -> schema("{\"type\":\"object\"}");
            case "json_schema" -> {
                JsonNode s = options.responseFormat().path("json_schema").path("schema");
                yield schema(s.isObject() ? Json.write(s) : "{\"type\":\"object\"}");
            }
            default -> null;
        };
    }

    /**
     * The grammar of a JSON schema, checked first ({@link GrammarSchemaCheck}: the converter's failures would end the
     * process). The conversion runs outside the cache's lock, so other slots' lookups do not wait for it.
     */
    String schema(String schema) {
        String known = cache.get(schema);
        if (known != null) {
            return known;
        }
        try {
            GrammarSchemaCheck.check(Json.MAPPER.readTree(schema));
        } catch (java.io.IOException e) {
            throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST, "The JSON schema is not JSON.", e);
        }
        String grammar;
        try {
            grammar = schemaToGrammar.apply(schema);
        } catch (RuntimeException e) {
            throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST,
                    "This engine cannot constrain its answer to the given JSON schema: " + e.getMessage(), e);
        }
        cache.putIfAbsent(schema, grammar);
        return grammar;
    }
}
