package io.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.KafkaTestClient;
import io.switchboard.testing.Wait;

/**
 * Every job that ends gives exactly one usage record, written by the worker that ran it, with the token counts the
 * client was told; a client that leaves mid-stream is billed for what was generated; and the tenant's own usage view
 * adds up to the records.
 */
class UsageAccountingIT {
    final Cluster cluster = Cluster.get();
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void everyRequestGivesExactlyOneUsageRecordMatchingWhatTheResponseReported() throws Exception {
        String tenant = "usage-" + UUID.randomUUID().toString().substring(0, 6);
        String key = cluster.tenantWithKey(tenant, "{}");
        Map<String, int[]> reported = new HashMap<>(); // job id → prompt, completion tokens the client was told
        List<String> abandoned = new ArrayList<>();

        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = cluster.post(i % 2 == 0 ? cluster.gateway : cluster.gateway2, key, """
                    {"model":"stories260K","messages":[{"role":"user","content":"Once upon a time %d"}],"max_tokens":8}"""
                    .formatted(i));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode body = Cluster.json(r.body());
            reported.put(body.get("id").asText(),
                    new int[] { body.at("/usage/prompt_tokens").asInt(), body.at("/usage/completion_tokens").asInt() });
        }
        for (int i = 0; i < 3; i++) {
            List<JsonNode> chunks = stream(key, """
                    {"model":"stories260K","messages":[{"role":"user","content":"A tale %d"}],"max_tokens":12,"stream":true,
                     "stream_options":{"include_usage":true}}""".formatted(i), lines -> lines.size() > 10_000);
            JsonNode usage = chunks.get(chunks.size() - 1).get("usage");
            reported.put(chunks.get(0).get("id").asText(),
                    new int[] { usage.get("prompt_tokens").asInt(), usage.get("completion_tokens").asInt() });
        }
        for (int i = 0; i < 2; i++) {
            List<JsonNode> chunks = stream(key, """
                    {"model":"stories260K","messages":[{"role":"user","content":"A long tale %d"}],"max_tokens":1500,
                     "ignore_eos":true,"stream":true}""".formatted(i), lines -> lines.size() >= 3);
            abandoned.add(chunks.get(0).get("id").asText());
        }

        int expected = reported.size() + abandoned.size();
        Wait.until(Duration.ofSeconds(60), expected + " usage records of " + tenant,
                () -> recordsOf(tenant, Duration.ofMillis(500)).size() >= expected);
        List<UsageRecord> records = recordsOf(tenant, Duration.ofSeconds(3));
        assertThat(records).hasSize(expected);
        assertThat(records.stream().map(UsageRecord::jobId).distinct()).hasSize(expected);
        for (UsageRecord r : records) {
            assertThat(r.keyId()).startsWith("key_");
            assertThat(r.engine()).isEqualTo("llama");
            if (abandoned.contains(r.jobId())) {
                assertThat(r.outcome()).isEqualTo(UsageRecord.Outcome.CANCELLED);
                assertThat(r.detail()).isEqualTo("client_disconnected");
                assertThat(r.completionTokens()).isPositive().isLessThan(1500);
            } else {
                assertThat(r.outcome()).isEqualTo(UsageRecord.Outcome.FINISHED);
                assertThat(new int[] { r.promptTokens(), r.completionTokens() }).containsExactly(reported.get(r.jobId()));
                assertThat(r.timeToFirstTokenMs()).isNotNull();
            }
        }

        long total = records.stream().mapToLong(UsageRecord::totalTokens).sum();
        Wait.until(Duration.ofSeconds(20), "the tenant's usage view adds up to its records", () -> {
            HttpResponse<String> view = http.send(HttpRequest.newBuilder(URI.create(cluster.gateway2.url() + "/v1/usage"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode row = Cluster.json(view.body()).at("/data/0");
            return row.path("requests").asInt() == expected && row.path("total_tokens").asLong() == total;
        });
    }

    static List<UsageRecord> recordsOf(String tenant, Duration window) {
        return KafkaTestClient.all(Topics.USAGE, UsageRecord.class, u -> tenant.equals(u.tenantId()), window);
    }

    /** Streams a completion and returns its JSON chunks, leaving (closing the connection) once {@code enough} says so. */
    List<JsonNode> stream(String key, String body, Function<List<String>, Boolean> enough) throws Exception {
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create(cluster.gateway.url() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        List<String> lines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("data: {")) {
                    lines.add(line.substring("data: ".length()));
                    if (enough.apply(lines)) {
                        break;
                    }
                }
            }
        }
        List<JsonNode> chunks = new ArrayList<>();
        for (String l : lines) {
            chunks.add(Cluster.json(l));
        }
        return chunks;
    }
}
