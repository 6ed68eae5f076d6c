package io.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;

import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.OpenAiSchemas;

/** A non-streaming chat completion over the real path: gateway → Kafka → router → llama.cpp worker → Redis → gateway. */
class NonStreamingCompletionIT {
    final Cluster cluster = Cluster.get();

    @Test
    void officialJavaSdkGetsACompletionWithRealUsage() {
        ChatCompletion completion = Clients.openAi(cluster).chat().completions().create(ChatCompletionCreateParams.builder()
                .model(cluster.modelId)
                .addSystemMessage("You tell short stories.")
                .addUserMessage("Tell me a story about a cat.")
                .maxCompletionTokens(24L)
                .temperature(0.0)
                .build());

        assertThat(completion.id()).startsWith("chatcmpl-");
        assertThat(completion.model()).isEqualTo(cluster.modelId);
        ChatCompletion.Choice choice = completion.choices().get(0);
        assertThat(choice.message().content()).get().asString().isNotEmpty();
        assertThat(choice.finishReason().asString()).isIn("length", "stop");
        var usage = completion.usage().orElseThrow();
        assertThat(usage.promptTokens()).isGreaterThan(5);
        assertThat(usage.completionTokens()).isBetween(1L, 24L);
        assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + usage.completionTokens());
        if (usage.completionTokens() == 24L) {
            assertThat(choice.finishReason().asString()).isEqualTo("length");
        }
    }

    @Test
    void responseMatchesOfficialSchemaAndCarriesRequestId() throws Exception {
        var response = cluster.post("""
                {"model":"%s","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":8,"seed":7}"""
                .formatted(cluster.modelId), Map.of("Authorization", "Bearer " + Cluster.API_KEY, "x-request-id", "e2e-req-42"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-request-id")).contains("e2e-req-42");
        OpenAiSchemas.assertValid("CreateChatCompletionResponse", response.body());
    }

    @Test
    void jobIsOnItsKafkaTopicAndTokensAreInItsRedisStream() throws Exception {
        var response = cluster.post("""
                {"model":"%s","messages":[{"role":"user","content":"Hello"}],"max_tokens":6,"temperature":0}"""
                .formatted(cluster.modelId));
        assertThat(response.statusCode()).isEqualTo(200);
        String jobId = Cluster.json(response.body()).get("id").asText();

        String stream = redisCli("XRANGE", RedisKeys.jobStream(jobId), "-", "+");
        assertThat(stream).contains("\"type\":\"delta\"").contains("\"type\":\"finish\"");
        // kept for the resume retention (5 minutes by default) after its end
        assertThat(Long.parseLong(redisCli("TTL", RedisKeys.jobStream(jobId)).trim())).isBetween(1L, 300L);

        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.infra.kafkaBootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "e2e-inspect-" + jobId);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.JOBS));
            long deadline = System.currentTimeMillis() + 20_000;
            JsonNode found = null;
            while (found == null && System.currentTimeMillis() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(500))) {
                    if (jobId.equals(record.key())) {
                        found = Cluster.json(record.value());
                    }
                }
            }
            assertThat(found).as("job %s on topic %s", jobId, Topics.JOBS).isNotNull();
            assertThat(found.get("tenantId").asText()).isEqualTo(Cluster.TENANT);
            assertThat(found.get("model").asText()).isEqualTo(cluster.modelId);
        }
    }

    private String redisCli(String... args) throws Exception {
        var cmd = new java.util.ArrayList<>(List.of("redis-cli", "-p", String.valueOf(cluster.infra.redisPort())));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }
}
