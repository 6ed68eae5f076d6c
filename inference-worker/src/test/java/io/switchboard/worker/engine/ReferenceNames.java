package io.switchboard.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.wire.Json;

/**
 * A {@code response_format} whose references llama.cpp alone reads wrong (it names a reference's rule after its last
 * segment and reuses a rule of that name): "d" got the string of "c", and "y" any integer (its definition taken for
 * llama.cpp's own "integer" rule). For the engines' tests on the real llama.cpp.
 */
public final class ReferenceNames {
    public static final String FORMAT = """
            {"type":"json_schema","json_schema":{"name":"refs","schema":{"type":"object",
             "$defs":{"integer":{"type":"integer","enum":[7]}},"properties":{
             "a":{"type":"object","properties":{"v":{"type":"string","enum":["zz"]}},"required":["v"]},
             "b":{"type":"object","properties":{"v":{"type":"integer"}},"required":["v"]},
             "c":{"$ref":"#/properties/a/properties/v"},"d":{"$ref":"#/properties/b/properties/v"},
             "n":{"type":"integer"},"y":{"$ref":"#/$defs/integer"}},
             "required":["a","b","c","d","n","y"],"additionalProperties":false}}}""";

    private ReferenceNames() {
    }

    /** Asserts that every reference of {@link #FORMAT} got its own target's constraint in {@code answer}. */
    public static void assertFollowed(String answer) throws Exception {
        JsonNode json = Json.MAPPER.readTree(answer);
        assertThat(json.path("c").asText()).as(answer).isEqualTo("zz");
        assertThat(json.path("d").isIntegralNumber()).as(answer).isTrue();
        assertThat(json.path("y").asInt()).as(answer).isEqualTo(7);
    }
}
