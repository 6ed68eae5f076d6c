package io.switchboard.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

/**
 * Validates JSON against the official OpenAI schemas in {@code shared/openai-openapi/schemas/}
 * (found by walking up from the working directory to the folder beside the repository).
 */
public final class OpenAiSchemas {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ConcurrentHashMap<String, JsonSchema> CACHE = new ConcurrentHashMap<>();

    private OpenAiSchemas() {
    }

    public static Path schemaDir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared/openai-openapi/schemas");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
            Path sibling = p.resolveSibling("shared").resolve("openai-openapi/schemas");
            if (Files.isDirectory(sibling)) {
                return sibling;
            }
        }
        throw new IllegalStateException("shared/openai-openapi/schemas not found above " + Path.of("").toAbsolutePath());
    }

    /** Validation errors of {@code json} against schema {@code name} (e.g. "ErrorResponse"); empty when valid. */
    public static Set<ValidationMessage> errors(String name, String json) {
        JsonSchema schema = CACHE.computeIfAbsent(name, n -> {
            try {
                JsonNode node = MAPPER.readTree(Files.readString(schemaDir().resolve(n + ".json")));
                return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(node);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read schema " + n, e);
            }
        });
        try {
            return schema.validate(MAPPER.readTree(json));
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + json, e);
        }
    }

    /** Throws with every validation message when {@code json} does not match schema {@code name}. */
    public static void assertValid(String name, String json) {
        Set<ValidationMessage> errors = errors(name, json);
        if (!errors.isEmpty()) {
            throw new AssertionError(name + " schema violations " + errors + " in " + json);
        }
    }
}
