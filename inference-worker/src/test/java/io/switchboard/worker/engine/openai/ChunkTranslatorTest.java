package io.switchboard.worker.engine.openai;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.switchboard.schema.wire.Json;
import io.switchboard.worker.engine.RecordingSink;

/** How one stream of chunks is read: quirks dropped, usage and cached tokens wherever the upstream puts them. */
class ChunkTranslatorTest {
    final RecordingSink sink = new RecordingSink();

    ChunkTranslator translator(int choices) {
        return new ChunkTranslator(choices, choices > 1, sink, ToolCallIds.from(new java.util.Random(3)));
    }

    void read(ChunkTranslator t, String json) throws Exception {
        t.accept(Json.MAPPER.readTree(json));
    }

    @Test
    void cachedTokensComeFromPromptTokensDetails() throws Exception {
        var t = translator(1);
        read(t, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}");
        read(t, "{\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":1,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":8}}}");
        assertThat(t.finish().cachedTokens()).isEqualTo(8);
    }

    @Test
    void llamaServersUsageOnTheLastChoiceChunkWithTimingsCacheN() throws Exception {
        var t = translator(1);
        read(t, "{\"model\":\"gpt-3.5-turbo\",\"choices\":[{\"index\":0,\"delta\":{}, \"finish_reason\":\"length\"}],"
                + "\"usage\":{\"prompt_tokens\":42,\"completion_tokens\":3},\"timings\":{\"cache_n\":40,\"prompt_n\":2}}");
        var g = t.finish();
        assertThat(g.promptTokens()).isEqualTo(42);
        assertThat(g.cachedTokens()).isEqualTo(40);
        assertThat(sink.deltas).isEmpty();
    }

    @Test
    void reasoningContentBecomesReasoningApartFromTheAnswer() throws Exception {
        var t = translator(1);
        read(t, "{\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"think\"}}]}");
        read(t, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"answer\"}}]}");
        assertThat(sink.deltas.get(0).reasoning()).isEqualTo("think");
        assertThat(sink.deltas.get(0).text()).isEmpty();
        assertThat(sink.deltas.get(1).text()).isEqualTo("answer");
    }

    @Test
    void eachChoiceEndIsReportedAsItArrivesWhenThereAreSeveral() throws Exception {
        var t = translator(2);
        read(t, "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"b\"},\"finish_reason\":\"stop\"}]}");
        assertThat(sink.ends).containsExactlyEntriesOf(java.util.Map.of(1, "stop"));
        read(t, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":\"length\"}]}");
        assertThat(t.finish().finishReason()).isEqualTo("length");
    }

    @Test
    void aWholeAnswerIsCutIntoTheChunksItsStreamWouldHaveBeen() throws Exception {
        var t = translator(1);
        for (var chunk : WholeAnswer.chunks(Json.MAPPER.readTree("""
                {"choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,
                 "tool_calls":[{"id":"","type":"function","function":{"name":"f","arguments":"{\\"x\\":1}"}}]}}],
                 "usage":{"prompt_tokens":3,"completion_tokens":4}}"""))) {
            t.accept(chunk);
        }
        var calls = sink.toolCalls();
        assertThat(calls).hasSize(2);
        assertThat(calls.get(0).id()).startsWith("call_");
        assertThat(calls.get(0).function().name()).isEqualTo("f");
        assertThat(calls.get(0).function().arguments()).isEmpty();
        assertThat(calls.get(1).function().arguments()).isEqualTo("{\"x\":1}");
        assertThat(t.finish().finishReason()).isEqualTo("tool_calls");
        assertThat(t.finish().completionTokens()).isEqualTo(4);
    }

    @Test
    void aForcedToolCallCutShortPassesNoneOfTheEnginesOwnCallFormatAsText() throws Exception {
        var t = translator(1);
        for (var chunk : WholeAnswer.chunks(Json.MAPPER.readTree("""
                {"choices":[{"index":0,"finish_reason":"length","message":{"role":"assistant",
                 "content":"{ \\"tool_call\\" : { \\"name\\" : \\"get_weather\\" , \\"arguments\\" : { \\"city\\" : \\"Par"}}],
                 "usage":{"prompt_tokens":3,"completion_tokens":64}}"""), true)) {
            t.accept(chunk);
        }
        assertThat(sink.deltas).noneMatch(d -> !d.text().isEmpty());
        assertThat(t.finish().finishReason()).isEqualTo("length");
    }
}
