package io.switchboard.gateway.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.switchboard.gateway.error.ApiException;
import io.switchboard.schema.openai.ChatCompletionRequest;
import io.switchboard.schema.wire.Json;

/** Each validation rule, as a table: request body → the param and code of the 400 (or none). */
class RulesTest {
    final RequestValidator validator = RequestValidator.standard(4096);

    static final String OK = "\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "model", "missing_required_parameter"),
                Arguments.of("{\"model\":\" \",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "model",
                        "missing_required_parameter"),
                Arguments.of("{\"model\":\"m\"}", "messages", "missing_required_parameter"),
                Arguments.of("{\"model\":\"m\",\"messages\":[]}", "messages", "empty_array"),
                Arguments.of("{\"model\":\"m\",\"messages\":[{\"content\":\"x\"}]}", "messages[0].role", "missing_required_parameter"),
                Arguments.of("{\"model\":\"m\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", "messages[0].role",
                        "invalid_value"),
                Arguments.of("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]}", "messages[0].content",
                        "missing_required_parameter"),
                Arguments.of("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":{}}]}", "messages[0].content",
                        "invalid_type"),
                Arguments.of("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}",
                        "messages[0].content[0].type", "unsupported_parameter"),
                Arguments.of("{" + OK + ",\"temperature\":-0.1}", "temperature", "invalid_value"),
                Arguments.of("{" + OK + ",\"temperature\":2.01}", "temperature", "invalid_value"),
                Arguments.of("{" + OK + ",\"top_p\":1.01}", "top_p", "invalid_value"),
                Arguments.of("{" + OK + ",\"presence_penalty\":3}", "presence_penalty", "invalid_value"),
                Arguments.of("{" + OK + ",\"frequency_penalty\":-3}", "frequency_penalty", "invalid_value"),
                Arguments.of("{" + OK + ",\"max_tokens\":0}", "max_tokens", "invalid_value"),
                Arguments.of("{" + OK + ",\"max_tokens\":5000}", "max_tokens", "invalid_value"),
                Arguments.of("{" + OK + ",\"max_completion_tokens\":-1}", "max_completion_tokens", "invalid_value"),
                Arguments.of("{" + OK + ",\"n\":0}", "n", "invalid_value"),
                Arguments.of("{" + OK + ",\"n\":9}", "n", "invalid_value"),
                Arguments.of("{" + OK + ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", "stop", "invalid_value"),
                Arguments.of("{" + OK + ",\"stop\":\"\"}", "stop", "invalid_value"),
                Arguments.of("{" + OK + ",\"stream_options\":{\"include_usage\":true}}", "stream_options", "invalid_value"),
                Arguments.of("{" + OK + ",\"top_logprobs\":2}", "top_logprobs", "invalid_value"),
                Arguments.of("{" + OK + ",\"logprobs\":true,\"top_logprobs\":21}", "top_logprobs", "invalid_value"),
                Arguments.of("{" + OK + ",\"tools\":[{\"type\":\"function\"}]}", "tools[0].function",
                        "missing_required_parameter"),
                Arguments.of("{" + OK + ",\"tools\":[{\"type\":\"code\",\"function\":{\"name\":\"f\"}}]}", "tools[0].type",
                        "invalid_value"),
                Arguments.of("{" + OK + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a b\"}}]}",
                        "tools[0].function.name", "invalid_value"),
                Arguments.of("{" + OK + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}},"
                        + "{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}", "tools", "invalid_value"),
                Arguments.of("{" + OK + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":[]}}]}",
                        "tools[0].function.parameters", "invalid_type"),
                Arguments.of("{" + OK + ",\"tool_choice\":\"required\"}", "tool_choice", "invalid_value"),
                Arguments.of("{" + OK + ",\"tool_choice\":\"always\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}",
                        "tool_choice", "invalid_value"),
                Arguments.of("{" + OK + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"g\"}},"
                        + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}", "tool_choice.function.name",
                        "invalid_value"),
                Arguments.of("{" + OK + ",\"response_format\":{\"type\":\"xml\"}}", "response_format.type", "invalid_value"),
                Arguments.of("{" + OK + ",\"response_format\":{\"type\":\"json_schema\"}}", "response_format.json_schema",
                        "missing_required_parameter"),
                Arguments.of("{" + OK + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{}}}}",
                        "response_format.json_schema.name", "missing_required_parameter"),
                Arguments.of("{" + OK + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"n\","
                        + "\"schema\":\"object\"}}}", "response_format.json_schema.schema", "invalid_type"),
                Arguments.of("{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"content\":\"42\"}]}",
                        "messages[0].tool_call_id", "missing_required_parameter"),
                Arguments.of("{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null,"
                        + "\"tool_calls\":[{\"id\":\"1\"}]}]}", "messages[0].tool_calls[0].function.name",
                        "missing_required_parameter"),
                Arguments.of("{" + OK + ",\"logit_bias\":{\"50256\":-101}}", "logit_bias", "invalid_value"),
                Arguments.of("{" + OK + ",\"logit_bias\":{\"hello\":1}}", "logit_bias", "invalid_value"),
                Arguments.of("{" + OK + ",\"logit_bias\":{\"99999999999\":1}}", "logit_bias", "invalid_value"),
                Arguments.of("{" + OK + ",\"max_tokens\":8,\"min_tokens\":9}", "min_tokens", "invalid_value"),
                Arguments.of("{" + OK + ",\"structured_outputs\":{\"regex\":\"a+\",\"choice\":[\"a\"]}}",
                        "structured_outputs", "invalid_value"),
                Arguments.of("{" + OK + ",\"reasoning_effort\":\"extreme\"}", "reasoning_effort", "invalid_value"),
                Arguments.of("{" + OK + ",\"provider\":\"moon\"}", "provider", "invalid_value"),
                Arguments.of("{" + OK + ",\"min_p\":1.5}", "min_p", "invalid_value"),
                Arguments.of("{" + OK + ",\"top_k\":-2}", "top_k", "invalid_value"));
    }

    @ParameterizedTest(name = "{1} ({2}): {0}")
    @MethodSource("invalid")
    void invalidRequestIsRejectedNamingTheParam(String body, String param, String code) {
        ApiException e = catchThrowableOfType(ApiException.class,
                () -> validator.validate(Json.read(body, ChatCompletionRequest.class)));
        assertThat(e).as("rejected").isNotNull();
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.body().error().param()).isEqualTo(param);
        assertThat(e.body().error().code()).isEqualTo(code);
        assertThat(e.body().error().type()).isEqualTo("invalid_request_error");
    }

    static Stream<String> valid() {
        return Stream.of(
                "{" + OK + "}",
                "{" + OK + ",\"temperature\":0,\"top_p\":1,\"max_tokens\":4096,\"n\":1,\"stop\":\"x\",\"seed\":-5}",
                "{\"model\":\"m\",\"messages\":[{\"role\":\"developer\",\"content\":\"be brief\"},"
                        + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]},"
                        + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"1\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
                        + "{\"role\":\"tool\",\"content\":\"42\",\"tool_call_id\":\"1\"}]}",
                "{" + OK + ",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"response_format\":{\"type\":\"text\"}}",
                "{" + OK + ",\"tools\":[],\"logit_bias\":{},\"priority\":-3,\"top_k\":-1,\"min_p\":0.05}",
                "{" + OK + ",\"n\":8,\"logprobs\":true,\"top_logprobs\":20,\"response_format\":{\"type\":\"json_schema\","
                        + "\"json_schema\":{\"name\":\"w\",\"strict\":true,\"schema\":{\"type\":\"object\"}}},"
                        + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"d\","
                        + "\"parameters\":{\"type\":\"object\"}}}],\"tool_choice\":{\"type\":\"function\","
                        + "\"function\":{\"name\":\"get_weather\"}},\"parallel_tool_calls\":false,\"provider\":\"cloud\"}",
                "{" + OK + ",\"max_tokens\":8,\"min_tokens\":8,\"logit_bias\":{\"50256\":-100},\"structured_outputs\":"
                        + "{\"choice\":[\"yes\",\"no\"]},\"reasoning_effort\":\"low\",\"cache_salt\":\"s\",\"tool_choice\":\"none\"}");
    }

    @ParameterizedTest
    @MethodSource("valid")
    void validRequestPasses(String body) {
        assertThatCode(() -> validator.validate(Json.read(body, ChatCompletionRequest.class))).doesNotThrowAnyException();
    }

    @Test
    void firstBrokenRuleIsReported() {
        ApiException e = catchThrowableOfType(ApiException.class, () -> validator.validate(Json.read(
                "{\"messages\":[],\"temperature\":9}", ChatCompletionRequest.class)));
        assertThat(e.body().error().param()).isEqualTo("model");
    }
}
