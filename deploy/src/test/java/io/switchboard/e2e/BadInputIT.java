package io.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.testing.OpenAiSchemas;

/** Every kind of bad input gets its OpenAI error envelope and status through the real gateway, never a 5xx. */
class BadInputIT {
    final Cluster cluster = Cluster.get();

    static final String M = "\"model\":\"stories260K\"";
    static final String MSG = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    static Stream<Arguments> badBodies() {
        return Stream.of(
                Arguments.of("malformed JSON", "{\"model\": \"stories260K\", \"messages\": [", 400, null, "invalid_json"),
                Arguments.of("body is not an object", "[1,2]", 400, null, "invalid_json"),
                Arguments.of("missing messages", "{" + M + "}", 400, "messages", "missing_required_parameter"),
                Arguments.of("empty messages", "{" + M + ",\"messages\":[]}", 400, "messages", "empty_array"),
                Arguments.of("unknown role", "{" + M + ",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", 400,
                        "messages[0].role", "invalid_value"),
                Arguments.of("content of wrong type", "{" + M + ",\"messages\":[{\"role\":\"user\",\"content\":42}]}", 400,
                        "messages[0].content", "invalid_type"),
                Arguments.of("missing model", "{" + MSG + "}", 400, "model", "missing_required_parameter"),
                Arguments.of("temperature above 2", "{" + M + "," + MSG + ",\"temperature\":2.5}", 400, "temperature", "invalid_value"),
                Arguments.of("temperature as string", "{" + M + "," + MSG + ",\"temperature\":\"hot\"}", 400, "temperature", "invalid_type"),
                Arguments.of("top_p above 1", "{" + M + "," + MSG + ",\"top_p\":1.5}", 400, "top_p", "invalid_value"),
                Arguments.of("max_tokens zero", "{" + M + "," + MSG + ",\"max_tokens\":0}", 400, "max_tokens", "invalid_value"),
                Arguments.of("max_tokens fractional", "{" + M + "," + MSG + ",\"max_tokens\":1.5}", 400, "max_tokens", "invalid_type"),
                Arguments.of("n out of range", "{" + M + "," + MSG + ",\"n\":0}", 400, "n", "invalid_value"),
                Arguments.of("stream not a boolean", "{" + M + "," + MSG + ",\"stream\":\"yes\"}", 400, "stream", "invalid_type"),
                Arguments.of("stop with five sequences", "{" + M + "," + MSG + ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", 400,
                        "stop", "invalid_value"),
                Arguments.of("unknown model", "{\"model\":\"no-such-model\"," + MSG + "}", 404, "model", "model_not_found"));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("badBodies")
    void badBodyGetsOpenAiErrorNamingTheParam(String name, String body, int status, String param, String code) throws Exception {
        HttpResponse<String> r = cluster.post(body);
        assertError(r, status, param, code);
    }

    @Test
    void missingKeyIs401() throws Exception {
        assertError(cluster.post("{" + M + "," + MSG + "}", Map.of("Content-Type", "application/json")), 401, null, "invalid_api_key");
    }

    @Test
    void wrongKeyIs401() throws Exception {
        assertError(cluster.post("{" + M + "," + MSG + "}", Map.of("Authorization", "Bearer sk-wrong")), 401, null,
                "invalid_api_key");
    }

    @Test
    void bodyOverTheLimitIs413() throws Exception {
        String big = "x".repeat(1_100_000);
        assertError(cluster.post("{" + M + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + big + "\"}]}"), 413, null,
                "request_too_large");
    }

    @Test
    void wrongMethodIs405() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(cluster.gateway.url() + "/v1/chat/completions")).header("Authorization", "Bearer " + Cluster.API_KEY)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertError(r, 405, null, "method_not_allowed");
        assertThat(r.headers().firstValue("allow")).contains("POST");
    }

    @Test
    void unknownModelOnModelsEndpointIs404() throws Exception {
        assertError(cluster.gatewayGet("/v1/models/no-such-model"), 404, "model", "model_not_found");
    }

    private static void assertError(HttpResponse<String> r, int status, String param, String code) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("x-request-id")).isPresent();
        OpenAiSchemas.assertValid("ErrorResponse", r.body());
        JsonNode error = Cluster.json(r.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("param").isNull() ? null : error.get("param").asText()).isEqualTo(param);
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).isNotBlank().doesNotContain("Exception").doesNotContain("\tat ");
    }
}
