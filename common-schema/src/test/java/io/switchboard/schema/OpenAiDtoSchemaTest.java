package io.switchboard.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.exc.MismatchedInputException;

import io.switchboard.schema.openai.ChatCompletion;
import io.switchboard.schema.openai.ChatCompletionChunk;
import io.switchboard.schema.openai.ChatCompletionRequest;
import io.switchboard.schema.openai.ErrorResponse;
import io.switchboard.schema.openai.Model;
import io.switchboard.schema.openai.ModelList;
import io.switchboard.schema.openai.Usage;
import io.switchboard.schema.wire.Json;
import io.switchboard.testing.OpenAiSchemas;

/** The OpenAI DTOs serialize to JSON that the official OpenAI schemas accept. */
class OpenAiDtoSchemaTest {

    @Test
    void chatCompletionMatchesOfficialSchema() {
        String json = Json.write(ChatCompletion.of("chatcmpl-1", 1_700_000_000L, "stories260k", "Once upon a time", "stop",
                Usage.of(10, 4), "switchboard-llama"));
        OpenAiSchemas.assertValid("CreateChatCompletionResponse", json);
        assertThat(json).contains("\"logprobs\":null").contains("\"refusal\":null");
    }

    @Test
    void everyStreamChunkKindMatchesOfficialSchema() {
        for (ChatCompletionChunk chunk : List.of(
                ChatCompletionChunk.role("chatcmpl-1", 1L, "m", "fp"),
                ChatCompletionChunk.content("chatcmpl-1", 1L, "m", "fp", "Once"),
                ChatCompletionChunk.finish("chatcmpl-1", 1L, "m", "fp", "length"),
                ChatCompletionChunk.usage("chatcmpl-1", 1L, "m", "fp", Usage.of(3, 2)))) {
            OpenAiSchemas.assertValid("CreateChatCompletionStreamResponse", Json.write(chunk));
        }
    }

    @Test
    void errorEnvelopeMatchesOfficialSchemaWithNullParamAndCode() {
        String json = Json.write(ErrorResponse.of("Invalid API key", "invalid_request_error", null, null));
        OpenAiSchemas.assertValid("ErrorResponse", json);
        assertThat(json).isEqualTo(
                "{\"error\":{\"message\":\"Invalid API key\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}");
    }

    @Test
    void modelListMatchesOfficialSchema() {
        OpenAiSchemas.assertValid("ListModelsResponse",
                Json.write(ModelList.of(List.of(Model.of("stories260k", 1_700_000_000L, "switchboard")))));
    }

    @Test
    void requestParsesSnakeCaseFieldsAndStopAsStringOrArray() {
        ChatCompletionRequest r = Json.read("""
                {"model":"m","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":5,"top_p":0.5,
                 "stop":"END","stream":true,"stream_options":{"include_usage":true}}""", ChatCompletionRequest.class);
        assertThat(r.maxCompletionTokens()).isEqualTo(5);
        assertThat(r.topP()).isEqualTo(0.5);
        assertThat(r.stop()).containsExactly("END");
        assertThat(r.includeUsage()).isTrue();
        assertThat(Json.read("{\"stop\":[\"a\",\"b\"]}", ChatCompletionRequest.class).stop()).containsExactly("a", "b");
    }

    @Test
    void requestRejectsStringWhereNumberBelongs() {
        assertThatThrownBy(() -> Json.MAPPER.readValue("{\"temperature\":\"0.5\"}", ChatCompletionRequest.class))
                .isInstanceOf(MismatchedInputException.class);
        assertThatThrownBy(() -> Json.MAPPER.readValue("{\"max_tokens\":1.5}", ChatCompletionRequest.class))
                .isInstanceOf(MismatchedInputException.class);
        assertThatThrownBy(() -> Json.MAPPER.readValue("{\"stop\":[1]}", ChatCompletionRequest.class))
                .isInstanceOf(MismatchedInputException.class);
    }
}
