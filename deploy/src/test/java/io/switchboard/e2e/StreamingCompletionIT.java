package io.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;

import io.switchboard.testing.OpenAiSchemas;

/** Streaming over the real path, as the official SDK and the raw SSE bytes see it. */
class StreamingCompletionIT {
    final Cluster cluster = Cluster.get();

    @Test
    void officialJavaSdkStreamsRoleDeltasFinishAndUsage() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = Clients.openAi(cluster).chat().completions().createStreaming(
                ChatCompletionCreateParams.builder()
                        .model(cluster.modelId)
                        .addUserMessage("Tell me a story")
                        .maxCompletionTokens(20L)
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                        .build())) {
            stream.stream().forEach(chunks::add);
        }

        assertThat(chunks.get(0).choices().get(0).delta().role()).isPresent();
        List<ChatCompletionChunk> finishes = chunks.stream()
                .filter(c -> !c.choices().isEmpty() && c.choices().get(0).finishReason().isPresent()).toList();
        assertThat(finishes).hasSize(1);
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.choices()).isEmpty();
        var usage = last.usage().orElseThrow();
        assertThat(usage.completionTokens()).isBetween(1L, 20L);
        String text = chunks.stream().filter(c -> !c.choices().isEmpty())
                .map(c -> c.choices().get(0).delta().content().orElse("")).reduce("", String::concat);
        assertThat(text).isNotEmpty();
        assertThat(chunks).allSatisfy(c -> assertThat(c.id()).isEqualTo(chunks.get(0).id()));
    }

    @Test
    void rawSseFramesAreSchemaValidChunksEndingWithDone() throws Exception {
        var response = cluster.post("""
                {"model":"%s","messages":[{"role":"user","content":"Hi"}],"max_tokens":10,"stream":true,
                 "stream_options":{"include_usage":true}}""".formatted(cluster.modelId));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).get().asString().startsWith("text/event-stream");
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        String body = response.body();
        assertThat(body).endsWith("data: [DONE]\n\n");
        String[] events = body.split("\n\n");
        for (int i = 0; i < events.length - 1; i++) {
            assertThat(events[i]).startsWith("data: {");
            OpenAiSchemas.assertValid("CreateChatCompletionStreamResponse", events[i].substring("data: ".length()));
        }
        assertThat(events[0]).contains("\"delta\":{\"role\":\"assistant\",\"content\":\"\"}");
        assertThat(events[events.length - 2]).contains("\"choices\":[]").contains("\"usage\":{");
        assertThat(events[events.length - 3]).contains("\"finish_reason\":\"length\"");
    }
}
