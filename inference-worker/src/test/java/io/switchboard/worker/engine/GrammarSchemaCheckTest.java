package io.switchboard.worker.engine;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.wire.Json;

/**
 * What llama.cpp's JSON-schema converter cannot survive (undefined behaviour, endless recursion) is refused before it;
 * what it merely refuses goes on (its error comes back as the request's). Each row is a schema and the part named in
 * the refusal, or nothing when the check lets it through.
 */
class GrammarSchemaCheckTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "=>", textBlock = """
            # schema  =>  refused part
            {}  =>
            {"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["a"]}  =>
            {"type":"string","pattern":"^[A-Z]+$"}  =>
            {"type":"string","pattern":"^(ab|c)+[a-z\\\\]]{2,5}x?$"}  =>
            {"type":"string","pattern":"^a{3}b{,4}c{2,}$"}  =>
            {"type":"string","pattern":"[A-Z]+"}  =>
            {"description":"anything"}  =>
            {"$ref":"#/$defs/Missing"}  =>
            {"allOf":[{"$ref":"#/$defs/A"},{"properties":{"b":{"type":"string"}}}],"$defs":{"A":{"properties":{"a":{"type":"string"}}}}}  =>
            {"type":"string","pattern":"^(?:ab)+$"}  =>  /pattern
            {"type":"string","pattern":"^(?=a)b$"}  =>  /pattern
            {"type":"string","pattern":"^*a$"}  =>  /pattern
            {"type":"string","pattern":"^a|+b$"}  =>  /pattern
            {"type":"string","pattern":"^\\\\p{L}+$"}  =>  /pattern
            {"type":"string","pattern":"^a{2147483647}$"}  =>  /pattern
            {"type":"string","pattern":"^a{1,2,3}$"}  =>  /pattern
            {"type":"string","pattern":"^(ab$"}  =>  /pattern
            {"type":"string","pattern":"^[ab$"}  =>  /pattern
            {"type":"object","properties":{"deep":{"type":"array","items":{"pattern":"^(?i)x$"}}}}  =>  /properties/deep/items/pattern
            {"allOf":[{"$ref":"#/$defs/A"}],"$defs":{"A":{"$ref":"#/$defs/B"},"B":{"$ref":"#/$defs/A"}}}  =>  /allOf/0
            {"type":"string","pattern":"^a]$"}  =>  /pattern
            {"type":"string","pattern":"^a{2}}$"}  =>  /pattern
            {"type":"string","pattern":"^[z-a]$"}  =>  /pattern
            {"type":"string","pattern":"^[a-z0-9_-]$"}  =>
            {"type":"string","pattern":"^[!-\\\\]]$"}  =>
            {"type":"string","pattern":"^[\\\\n-Z]$"}  =>
            {"type":"string","pattern":"^[^-!]\\\\x41$"}  =>
            {"type":"string","pattern":"^[a-\\\\d]$"}  =>  /pattern
            {"type":"string","pattern":"^\\\\x4g$"}  =>  /pattern
            {"type":"integer","minimum":3,"maximum":3}  =>
            {"type":"string","maxLength":10000}  =>
            {"type":"object","$defs":{"default":{"type":"string","pattern":"^(?:x)$"}}}  =>  /$defs/default/pattern
            {"type":"string","pattern":"^\\\\d{3}$"}  =>  /pattern
            {"type":"string","pattern":"^a\\\\.b$"}  =>  /pattern
            {"type":"string","pattern":"^[\\\\w]$"}  =>  /pattern
            {"type":"string","pattern":"^\\\\(a\\\\)\\\\*$"}  =>
            {"type":"string","pattern":"^((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))$"}  =>  /pattern
            {"type":"string","maxLength":1000000000}  =>  /maxLength
            {"type":"array","items":{"type":"string"},"minItems":20000}  =>  /minItems
            {"type":"integer","minimum":5,"maximum":1}  =>  /minimum
            {"type":"string","enum":["a"],"default":{"pattern":"^(?:x)$"}}  =>
            {"type":"object","properties":{"default":{"type":"string","pattern":"^(?:x)$"}}}  =>  /properties/default/pattern
            """)
    void refusesWhatTheConverterCannotSurvive(String schema, String refused) throws Exception {
        var node = Json.MAPPER.readTree(schema);
        if (refused == null) {
            assertThatCode(() -> GrammarSchemaCheck.check(node)).doesNotThrowAnyException();
        } else {
            assertThatThrownBy(() -> GrammarSchemaCheck.check(node)).isInstanceOfSatisfying(EngineException.class,
                    e -> org.assertj.core.api.Assertions.assertThat(e.code()).isEqualTo(FailureCode.ENGINE_REJECTED_REQUEST))
                    .hasMessageContaining(refused);
        }
    }
}
