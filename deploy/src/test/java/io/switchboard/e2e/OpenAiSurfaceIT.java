package io.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.core.JsonValue;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.chat.completions.StructuredChatCompletion;

import io.switchboard.testing.OpenAiSchemas;
import io.switchboard.testing.Wait;

/**
 * The OpenAI surface (n, logprobs, JSON schema, tools) end to end through gateway, Kafka, router and worker, on llama.cpp's
 * own {@code llama-server} driven by the worker (the managed engine), on an OpenAI-compatible "cloud" provider that needs
 * an API key (a second llama-server started with {@code --api-key}, driven by the {@code openai} engine), and on the
 * in-process binding for what it supports; the official Java SDK as the client, answers checked against the official
 * schemas.
 */
class OpenAiSurfaceIT {
    static final String NATIVE = "stories-native";
    static final String CLOUD = "stories-cloud";
    static final Cluster cluster = Cluster.get();
    static LlamaServer cloud;
    static final List<ServiceProcess> workers = new ArrayList<>();

    @BeforeAll
    static void startEngines() throws IOException {
        cloud = LlamaServer.start(cluster.root, cluster.model, 2, "sk-cloud-provider-key",
                cluster.root.resolve("deploy/target/e2e-logs/cloud-llama-server.log"));
        workers.add(cluster.startLlamaServerWorker("worker-native", NATIVE, 2));
        workers.add(cluster.startOpenAiWorker("worker-cloud", CLOUD, cloud.url() + "/v1", "sk-cloud-provider-key", "llama-server", 2));
        for (ServiceProcess w : workers) {
            w.awaitReady(Duration.ofSeconds(90));
        }
        Wait.until(Duration.ofSeconds(30), "the gateway lists both models", () -> {
            String models = cluster.gatewayGet("/v1/models").body();
            return models.contains(NATIVE) && models.contains(CLOUD);
        });
    }

    /** Also proves that a worker killed outright takes its llama-server with it (no orphan holds the port or GPU). */
    @AfterAll
    static void stopEngines() {
        List<ProcessHandle> managed = workers.isEmpty() ? List.of() : workers.getFirst().children();
        workers.forEach(ServiceProcess::kill);
        if (cloud != null) {
            cloud.close();
        }
        assertThat(managed).as("the managed llama-server").isNotEmpty();
        Wait.until(Duration.ofSeconds(5), "the killed worker's llama-server is gone",
                () -> managed.stream().noneMatch(ProcessHandle::isAlive));
    }

    static ChatCompletionCreateParams.Builder ask(String model, long maxTokens) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Tell me about the weather.")
                .maxCompletionTokens(maxTokens).temperature(0.7).seed(3L);
    }

    @Test
    void twoChoicesComeBackWithTheirIndexesAndUsageSummedOverBoth() {
        ChatCompletion c = Clients.openAi(cluster).chat().completions().create(ask(NATIVE, 8).n(2).build());
        assertThat(c.choices()).extracting(ChatCompletion.Choice::index).containsExactly(0L, 1L);
        assertThat(c.choices()).allSatisfy(ch -> assertThat(ch.message().content()).get().asString().isNotEmpty());
        var usage = c.usage().orElseThrow();
        assertThat(usage.completionTokens()).isBetween(2L, 16L);
        assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + usage.completionTokens());
    }

    @Test
    void logprobsCarryEveryTokenWithItsTopAlternatives() throws Exception {
        var response = cluster.post("""
                {"model":"%s","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":6,
                 "logprobs":true,"top_logprobs":2}""".formatted(NATIVE));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        OpenAiSchemas.assertValid("CreateChatCompletionResponse", response.body());
        JsonNode content = Cluster.json(response.body()).at("/choices/0/logprobs/content");
        assertThat(content.size()).isBetween(1, 6);
        for (JsonNode token : content) {
            assertThat(token.get("logprob").asDouble()).isLessThanOrEqualTo(0.0);
            assertThat(token.get("top_logprobs").size()).isEqualTo(2);
        }
    }

    enum Sky { SUNNY, CLOUDY, RAINY }

    /** What the SDK turns into a strict JSON schema and parses the answer back into. */
    public record Forecast(Sky sky, boolean windy) {
    }

    @Test
    void jsonSchemaAnswerParsesIntoTheSdksClass() {
        StructuredChatCompletion<Forecast> c = Clients.openAi(cluster).chat().completions().create(
                ask(NATIVE, 64).responseFormat(Forecast.class).build());
        Forecast forecast = c.choices().getFirst().message().content().orElseThrow();
        assertThat(forecast.sky()).isIn((Object[]) Sky.values());
    }

    static ChatCompletionFunctionTool weatherTool() {
        return ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name("get_weather")
                .description("The weather of a city")
                .parameters(FunctionParameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("city",
                                Map.of("type", "string", "enum", List.of("Paris", "Rome")))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                        .build())
                .build()).build();
    }

    /** llama-server's own tool calling, and the in-process binding's (llama.cpp's generic JSON format). */
    static List<String> toolModels() {
        return List.of(NATIVE, cluster.modelId);
    }

    @ParameterizedTest
    @MethodSource("toolModels")
    void requiredToolChoiceGivesACallWithAnIdANameAndArgumentsThatParse(String model) throws Exception {
        // greedy, with room: the tiny model needs a few hundred tokens to close the call's JSON
        // one call (llama-server's default; OpenAI's is several, and the tiny model would go on calling until max_tokens)
        ChatCompletion c = Clients.openAi(cluster).chat().completions().create(ask(model, 400).temperature(0.0)
                .addTool(weatherTool()).parallelToolCalls(false)
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build());
        ChatCompletion.Choice choice = c.choices().getFirst();
        assertThat(choice.finishReason().asString()).isEqualTo("tool_calls");
        ChatCompletionMessageFunctionToolCall call = choice.message().toolCalls().orElseThrow().getFirst().asFunction();
        assertThat(call.id()).isNotBlank();
        assertThat(call.function().name()).isEqualTo("get_weather");
        assertThat(Cluster.json(call.function().arguments()).get("city").asText()).isIn("Paris", "Rome");
    }

    @ParameterizedTest
    @MethodSource("toolModels")
    void streamedToolCallSendsIdTypeAndNameFirstThenArgumentFragments(String model) throws Exception {
        var response = cluster.post("""
                {"model":"%s","stream":true,"max_tokens":400,"temperature":0,"messages":[{"role":"user","content":"Weather?"}],
                 "tools":[{"type":"function","function":{"name":"get_weather","description":"The weather of a city",
                   "parameters":{"type":"object","properties":{"city":{"type":"string","enum":["Paris","Rome"]}},
                   "required":["city"]}}}],"tool_choice":"required","parallel_tool_calls":false}""".formatted(model));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<JsonNode> chunks = chunks(response.body());
        chunks.forEach(chunk -> OpenAiSchemas.assertValid("CreateChatCompletionStreamResponse", chunk.toString()));
        List<JsonNode> calls = chunks.stream().flatMap(c -> stream(c.at("/choices/0/delta/tool_calls"))).toList();
        assertThat(calls).isNotEmpty();
        JsonNode first = calls.getFirst();
        assertThat(first.get("id").asText()).isNotBlank();
        assertThat(first.get("type").asText()).isEqualTo("function");
        assertThat(first.at("/function/name").asText()).isEqualTo("get_weather");
        assertThat(calls.subList(1, calls.size())).allSatisfy(c -> assertThat(c.has("id")).isFalse());
        String arguments = calls.stream().map(c -> c.at("/function/arguments").asText("")).reduce("", String::concat);
        assertThat(Cluster.json(arguments).get("city").asText()).isIn("Paris", "Rome");
        assertThat(chunks.stream().map(c -> c.at("/choices/0/finish_reason").asText(null)).filter(r -> r != null))
                .containsExactly("tool_calls");
    }

    @Test
    void streamingTwoChoicesEndsEachOnceAndEveryChunkMatchesTheOfficialSchema() throws Exception {
        var response = cluster.post("""
                {"model":"%s","stream":true,"n":2,"max_tokens":6,"stream_options":{"include_usage":true},
                 "messages":[{"role":"user","content":"Once upon a time"}]}""".formatted(NATIVE));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        Map<Integer, Integer> finishes = new TreeMap<>();
        Map<Integer, StringBuilder> text = new TreeMap<>();
        List<JsonNode> chunks = chunks(response.body());
        for (JsonNode chunk : chunks) {
            OpenAiSchemas.assertValid("CreateChatCompletionStreamResponse", chunk.toString());
            for (JsonNode choice : chunk.get("choices")) {
                int index = choice.get("index").asInt();
                text.computeIfAbsent(index, i -> new StringBuilder()).append(choice.at("/delta/content").asText(""));
                if (!choice.get("finish_reason").isNull()) {
                    finishes.merge(index, 1, Integer::sum);
                }
            }
        }
        assertThat(finishes).isEqualTo(Map.of(0, 1, 1, 1));
        assertThat(text.values()).allSatisfy(t -> assertThat(t).isNotEmpty());
        assertThat(chunks.getLast().get("choices")).isEmpty();
        assertThat(chunks.getLast().at("/usage/completion_tokens").asInt()).isBetween(2, 12);
    }

    @Test
    void cloudProviderThatNeedsAnApiKeyServesThroughThePlatform() {
        ChatCompletion c = Clients.openAi(cluster).chat().completions().create(ask(CLOUD, 8).n(2).build());
        assertThat(c.model()).isEqualTo(CLOUD);
        assertThat(c.choices()).hasSize(2);
        assertThat(c.choices().getFirst().message().content()).get().asString().isNotEmpty();
    }

    @Test
    void inProcessEngineServesTwoChoices() {
        ChatCompletion c = Clients.openAi(cluster).chat().completions().create(ask(cluster.modelId, 6).n(2).build());
        assertThat(c.choices()).extracting(ChatCompletion.Choice::index).containsExactly(0L, 1L);
    }

    @Test
    void whatTheEngineCannotDoIsA400NamingTheParameter() throws Exception {
        var response = cluster.post("""
                {"model":"%s","max_tokens":6,"messages":[{"role":"user","content":"Weather?"}],"logprobs":true}"""
                .formatted(cluster.modelId));
        assertThat(response.statusCode()).isEqualTo(400);
        OpenAiSchemas.assertValid("ErrorResponse", response.body());
        assertThat(Cluster.json(response.body()).at("/error/param").asText()).isEqualTo("logprobs");
    }

    static List<JsonNode> chunks(String sse) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : sse.split("\n")) {
            if (line.startsWith("data: {")) {
                out.add(Cluster.json(line.substring("data: ".length())));
            }
        }
        return out;
    }

    static java.util.stream.Stream<JsonNode> stream(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out.stream();
    }
}
