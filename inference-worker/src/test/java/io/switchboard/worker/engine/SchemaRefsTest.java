package io.switchboard.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.wire.Json;

class SchemaRefsTest {

    private static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text);
    }

    /** The definition a schema's {@code $ref} at {@code pointer} now leads to. */
    private static JsonNode target(JsonNode schema, String pointer) {
        String ref = schema.at(pointer + "/$ref").asText();
        assertThat(ref).startsWith("#/$defs/");
        return schema.at(ref.substring(1));
    }

    @Test
    void twoDeepReferencesEndingInTheSameSegmentGetDefinitionsOfTheirOwn() throws Exception {
        JsonNode out = SchemaRefs.uniqueRuleNames(json("""
                {"type":"object","properties":{
                  "a":{"type":"object","properties":{"v":{"type":"string","enum":["zz"]}}},
                  "b":{"type":"object","properties":{"v":{"type":"integer"}}},
                  "c":{"$ref":"#/properties/a/properties/v"},
                  "d":{"$ref":"#/properties/b/properties/v"}}}"""));

        assertThat(out.at("/properties/c/$ref").asText()).isNotEqualTo(out.at("/properties/d/$ref").asText());
        assertThat(target(out, "/properties/c")).isEqualTo(json("{\"type\":\"string\",\"enum\":[\"zz\"]}"));
        assertThat(target(out, "/properties/d")).isEqualTo(json("{\"type\":\"integer\"}"));
    }

    @Test
    void aDefinitionNamedLikeOneOfTheConvertersOwnRulesIsReferredToUnderAnotherName() throws Exception {
        JsonNode out = SchemaRefs.uniqueRuleNames(json("""
                {"type":"object","$defs":{"string":{"type":"string","enum":["only-this"]}},
                 "properties":{"x":{"type":"string"},"y":{"$ref":"#/$defs/string"}}}"""));

        String ref = out.at("/properties/y/$ref").asText();
        assertThat(ref).startsWith("#/$defs/ref").isNotEqualTo("#/$defs/string");
        assertThat(target(out, "/properties/y")).isEqualTo(json("{\"type\":\"string\",\"enum\":[\"only-this\"]}"));
    }

    @Test
    void aRecursiveDefinitionStaysRecursiveUnderItsNewName() throws Exception {
        JsonNode out = SchemaRefs.uniqueRuleNames(json("""
                {"$ref":"#/$defs/node","$defs":{"node":{"type":"object",
                 "properties":{"value":{"type":"integer"},"next":{"$ref":"#/$defs/node"}}}}}"""));

        String top = out.at("/$ref").asText();
        JsonNode node = target(out, "");
        assertThat(node.at("/properties/next/$ref").asText()).isEqualTo(top);
        assertThat(node.at("/properties/value/type").asText()).isEqualTo("integer");
    }

    @Test
    void aReferenceToTheWholeSchemaIsACopyOfItThatRefersToItself() throws Exception {
        JsonNode out = SchemaRefs.uniqueRuleNames(json("""
                {"type":"object","properties":{"child":{"$ref":"#"}}}"""));

        JsonNode copy = target(out, "/properties/child");
        assertThat(copy.at("/properties/child/$ref").asText()).isEqualTo(out.at("/properties/child/$ref").asText());
        assertThat(copy.at("/type").asText()).isEqualTo("object");
    }

    @Test
    void aNewNameNeverTakesOneTheSchemaAlreadyDefines() throws Exception {
        JsonNode out = SchemaRefs.uniqueRuleNames(json("""
                {"$defs":{"ref1-x":{"type":"boolean"},"x":{"type":"integer"}},
                 "properties":{"p":{"$ref":"#/$defs/x"},"q":{"$ref":"#/$defs/ref1-x"}}}"""));

        assertThat(target(out, "/properties/p")).isEqualTo(json("{\"type\":\"integer\"}"));
        assertThat(target(out, "/properties/q")).isEqualTo(json("{\"type\":\"boolean\"}"));
    }

    @Test
    void referencesThatAreNotLocalOrDoNotResolveAreLeftForTheConverterToRefuse() throws Exception {
        JsonNode in = json("""
                {"properties":{"a":{"$ref":"other.json#/x"},"b":{"$ref":"#/$defs/missing"},"c":{"$ref":"#anchor"}}}""");
        assertThat(SchemaRefs.uniqueRuleNames(in)).isEqualTo(in);
    }

    @Test
    void aSchemaWithoutReferencesComesBackAsItIs() throws Exception {
        JsonNode in = json("{\"type\":\"object\",\"properties\":{\"$ref\":{\"type\":\"string\"}},\"enum\":[{\"$ref\":\"#\"}]}");
        assertThat(SchemaRefs.uniqueRuleNames(in)).isSameAs(in);
    }

    @Test
    void aNewNameIsNoneADanglingReferencePropertyOrDefinitionUses() throws Exception {
        // were the new name "ref1-x", the dangling reference would lead to it, and to itself from there
        JsonNode out = SchemaRefs.uniqueRuleNames(json("""
                {"$defs":{"x":{"$ref":"#/$defs/ref1-x"}},"allOf":[{"$ref":"#/$defs/x"}],
                 "properties":{"ref1_x_2":{"type":"string"}}}"""));

        String name = out.at("/allOf/0/$ref").asText().substring("#/$defs/".length());
        assertThat(name).isNotIn("ref1-x", "x", "ref1-x-2");
        assertThat(out.at("/$defs/" + name + "/$ref").asText()).isEqualTo("#/$defs/ref1-x");
        assertThat(out.at("/$defs/ref1-x").isMissingNode()).isTrue();
    }

    @Test
    void aReferenceUsedTwiceHasOneCopyAndEachPrefixNamesItsOwn() throws Exception {
        JsonNode in = json("""
                {"$defs":{"a":{"type":"integer"}},"properties":{"p":{"$ref":"#/$defs/a"},"r":{"$ref":"#/$defs/a"}}}""");
        JsonNode out = SchemaRefs.uniqueRuleNames(in, "tool0ref");

        assertThat(out.at("/properties/p/$ref").asText()).isEqualTo(out.at("/properties/r/$ref").asText())
                .startsWith("#/$defs/tool0ref1");
        assertThat(out.get("$defs").size()).isEqualTo(2); // a, and its one copy
        assertThat(SchemaRefs.uniqueRuleNames(in, "tool1ref").at("/properties/p/$ref").asText())
                .startsWith("#/$defs/tool1ref1");
    }

    @Test
    void referencesThatWouldCopyTheSchemaOverAndOverAreRefused() throws Exception {
        // each reference leads to a part holding the next: every copy holds the big array below it
        StringBuilder nested = new StringBuilder("{\"type\":\"array\",\"enum\":[" + "0,".repeat(20_000) + "0]}");
        StringBuilder refs = new StringBuilder();
        String at = "#/properties/deep";
        for (int i = 0; i < 10; i++) {
            nested.insert(0, "{\"properties\":{\"a\":").append("}}");
            at += "/properties/a";
            refs.append(i == 0 ? "" : ",").append("\"r").append(i).append("\":{\"$ref\":\"").append(at).append("\"}");
        }
        JsonNode schema = json("{\"properties\":{\"deep\":" + nested + "," + refs + "}}");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SchemaRefs.uniqueRuleNames(schema))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.code())
                        .isEqualTo(io.switchboard.schema.event.FailureCode.ENGINE_REJECTED_REQUEST));
    }

    @Test
    void aPropertyWhoseNestedRuleWouldTakeTheNewNameMovesThePrefixAside() throws Exception {
        // llama.cpp would name the rule of ref1's property x "ref1-x": the new definition must not be called so
        JsonNode out = SchemaRefs.uniqueRuleNames(json("""
                {"properties":{"ref1":{"type":"object","properties":{"x":{"type":"boolean"}}},
                 "p":{"$ref":"#/$defs/x"}},"$defs":{"x":{"type":"integer"}}}"""));

        String name = out.at("/properties/p/$ref").asText().substring("#/$defs/".length());
        assertThat(name).doesNotStartWith("ref1").startsWith("refx1");
        assertThat(out.at("/$defs/" + name + "/type").asText()).isEqualTo("integer");
    }
}
