package io.switchboard.gateway.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.XAddArgs;
import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.Feature;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.Providers;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.event.WorkerHeartbeat;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.KafkaTestClient;
import io.switchboard.testing.Wait;

/** Plays the rest of the system for gateway tests: finds the published job on Kafka and writes its token events to Redis. */
final class GatewayHarness {
    private final URI endpoint;
    private final RedisDataSource redis;

    GatewayHarness(URI endpoint, RedisDataSource redis) {
        this.endpoint = endpoint;
        this.redis = redis;
    }

    /** Sends a chat completion whose user message is a unique marker; returns the marker and the pending response. */
    record Pending(String marker, CompletableFuture<HttpResponse<String>> response) {
    }

    Pending send(String extraJson) {
        String marker = "marker-" + UUID.randomUUID();
        String body = "{\"model\":\"test-model\",\"messages\":[{\"role\":\"user\",\"content\":\"" + marker + "\"}]"
                + (extraJson.isEmpty() ? "" : "," + extraJson) + "}";
        HttpRequest request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer sk-test").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return new Pending(marker, HttpClient.newHttpClient().sendAsync(request, HttpResponse.BodyHandlers.ofString()));
    }

    /**
     * Plays a worker of test-model (also served as {@code alias}) whose heartbeat announces {@code features}; returns
     * once the gateway lists the alias, so requests that need those features are published from then on.
     */
    void announceWorker(String workerId, String alias, Set<Feature> features) {
        KafkaTestClient.send(Topics.HEARTBEATS, workerId, new WorkerHeartbeat(WorkerHeartbeat.VERSION, workerId,
                List.of("test-model"), "openai", 4, 4, 0, List.of(), System.currentTimeMillis(), 1000,
                new EngineCapabilities(List.of(alias), 4096, 4, features, true), Providers.LOCAL));
        URI models = endpoint.resolve("/v1/models");
        Wait.until(Duration.ofSeconds(20), "the gateway lists the alias", () -> HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(models).header("Authorization", "Bearer sk-test").build(),
                        HttpResponse.BodyHandlers.ofString())
                .body().contains(alias));
    }

    InferenceJob publishedJob(String marker) {
        return KafkaTestClient.await(Topics.JOBS, InferenceJob.class,
                j -> j.messages().stream().anyMatch(m -> m.content().equals(marker)), Duration.ofSeconds(20));
    }

    /** Writes the events to the job's stream as a worker would; returns their entry ids, in order. */
    List<String> write(String jobId, TokenEvent... events) {
        List<String> ids = new ArrayList<>();
        for (TokenEvent e : events) {
            ids.add(writeRaw(jobId, Json.write(e)));
        }
        return ids;
    }

    /** Writes one entry whose event field is {@code json} as it is (a bad event, when it is not a TokenEvent). */
    String writeRaw(String jobId, String json) {
        return redis.stream(String.class).xadd(RedisKeys.jobStream(jobId), new XAddArgs(), Map.of(RedisKeys.EVENT_FIELD, json));
    }

    /** A GET of the job's resumable stream with {@code key}, from after {@code lastEventId} (null: from the start). */
    CompletableFuture<HttpResponse<String>> resume(String jobId, String key, String lastEventId) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint + "/" + jobId + "/stream"))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + key);
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        return HttpClient.newHttpClient().sendAsync(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
