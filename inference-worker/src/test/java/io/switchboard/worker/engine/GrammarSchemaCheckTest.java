package io.switchboard.worker.engine;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.wire.Json;

/**
 * What llama.cpp's JSON-schema converter would refuse (which ends the process in the binding) is refused before it:
 * each row is a schema and the part named in the refusal, or nothing when the converter takes it.
 */
class GrammarSchemaCheckTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            # schema                                                                                   | refused part
            {}                                                                                         |
            {"type":"object"}                                                                          |
            {"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["a"]} |
            {"type":["string","null"]}                                                                 |
            {"enum":["x",1,null]}                                                                      |
            {"const":{"any":"thing"}}                                                                  |
            {"anyOf":[{"type":"string"},{"type":"number"}]}                                            |
            {"type":"array","items":{"type":"boolean"},"minItems":1,"maxItems":3}                       |
            {"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}]}                      |
            {"type":"string","pattern":"^[A-Z]+$"}                                                     |
            {"type":"string","format":"date-time"}                                                     |
            {"type":"string","format":"uuid4"}                                                         |
            {"type":"string","minLength":1,"maxLength":8}                                              |
            {"type":"object","additionalProperties":{"type":"integer"}}                                |
            {"$defs":{"P":{"type":"object","properties":{"next":{"$ref":"#/$defs/P"}}}},"$ref":"#/$defs/P"} |
            {"allOf":[{"$ref":"#/$defs/A"},{"properties":{"b":{"type":"string"}}}],"$defs":{"A":{"properties":{"a":{"type":"string"}}}}} |
            {"type":"string","pattern":"[A-Z]+"}                                                       | /pattern
            {"type":"string","pattern":"^(ab$"}                                                        | /pattern
            {"description":"anything"}                                                                 | the schema
            {"type":"object","properties":{"x":{"description":"no type"}}}                              | /properties/x
            {"type":"strung"}                                                                          | /type
            {"type":["string",3]}                                                                      | /type/1
            {"$ref":"https://example.com/s.json"}                                                      | /$ref
            {"$ref":"#/$defs/Missing"}                                                                 | /$ref
            {"anyOf":{"type":"string"}}                                                                | /anyOf
            {"type":"array","items":true}                                                              | /items
            {"type":"string","minLength":"1"}                                                          | /minLength
            {"type":"string","format":7}                                                               | /format
            {"type":"object","properties":[{"type":"string"}]}                                         | /properties
            """)
    void refusesWhatTheConverterWouldFailOn(String schema, String refused) throws Exception {
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
