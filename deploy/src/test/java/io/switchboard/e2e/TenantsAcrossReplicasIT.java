package io.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;

import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.testing.TestInfra;

/**
 * Tenants across two gateway replicas sharing one Redis: limits hold exactly (never multiplied by the number of
 * replicas), a revoked key stops working on both within a second, the official SDK raises its RateLimitException,
 * and no key is ever written to a log or to Redis.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TenantsAcrossReplicasIT {
    /** Every key this class made, looked for in every log and in Redis at the end. */
    static final List<String> KEYS = new CopyOnWriteArrayList<>();
    final Cluster cluster = Cluster.get();

    static String id(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    String tenant(String prefix, String limits) throws Exception {
        String key = cluster.tenantWithKey(id(prefix), limits);
        KEYS.add(key);
        return key;
    }

    /** Sends {@code n} requests over 16 connections, alternating replicas; returns how many got each status. */
    Map<Integer, Long> burst(int n, Function<ServiceProcess, Integer> request) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ServiceProcess replica = i % 2 == 0 ? cluster.gateway : cluster.gateway2;
                statuses.add(pool.submit(() -> request.apply(replica)));
            }
            List<Integer> all = new ArrayList<>();
            for (Future<Integer> f : statuses) {
                all.add(f.get());
            }
            return all.stream().collect(Collectors.groupingBy(s -> s, Collectors.counting()));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Order(1)
    void requestsPerMinuteAdmitExactlyTheLimitOverTwoReplicas() throws Exception {
        String key = tenant("rpm", "{\"requests_per_minute\":60}");
        String body = """
                {"model":"stories260K","messages":[{"role":"user","content":"Hi"}],"max_tokens":1}""";
        Map<Integer, Long> statuses = burst(150, replica -> {
            try {
                return cluster.post(replica, key, body).statusCode();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(statuses).containsExactlyInAnyOrderEntriesOf(Map.of(200, 60L, 429, 90L));
    }

    @Test
    @Order(2)
    void tokensPerMinuteAdmitExactlyWhatFitsOverTwoReplicas() throws Exception {
        // "Hi" is bounded at 32 + 8 + 2 = 42 prompt tokens; with max_tokens 1000 each request reserves 1042,
        // so 10 of them fit in 10,420. The admitted streams stay open until the burst is over (a stream that ended
        // would give back the tokens it did not use, and rightly let more in); then they are left, ending the jobs.
        String key = tenant("tpm", "{\"tokens_per_minute\":10420}");
        String body = """
                {"model":"stories260K","messages":[{"role":"user","content":"Hi"}],"max_tokens":1000,"ignore_eos":true,
                 "stream":true}""";
        HttpClient http = HttpClient.newHttpClient();
        List<InputStream> open = new CopyOnWriteArrayList<>();
        Map<Integer, Long> statuses = burst(30, replica -> {
            try {
                HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(replica.url() + "/v1/chat/completions"))
                        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
                open.add(r.body());
                return r.statusCode();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        for (InputStream stream : open) {
            stream.close();
        }
        assertThat(statuses).containsExactlyInAnyOrderEntriesOf(Map.of(200, 10L, 429, 20L));
    }

    @Test
    @Order(3)
    void aRevokedKeyIsRefusedByBothReplicasWithinOneSecond() throws Exception {
        String tenantId = id("rev");
        String key = cluster.tenantWithKey(tenantId, "{}");
        KEYS.add(key);
        String keyId = Cluster.json(cluster.admin(cluster.gateway2, "GET", "/admin/v1/tenants/" + tenantId + "/keys", null)
                .body()).at("/data/0/id").asText();
        for (ServiceProcess replica : List.of(cluster.gateway, cluster.gateway2)) {
            assertThat(models(replica, key)).isEqualTo(200);
        }

        long revoked = System.nanoTime();
        assertThat(cluster.admin(cluster.gateway, "DELETE", "/admin/v1/keys/" + keyId, null).statusCode()).isEqualTo(200);
        boolean[] refused = { false, false };
        while (!(refused[0] && refused[1]) && System.nanoTime() - revoked < Duration.ofSeconds(3).toNanos()) {
            refused[0] |= models(cluster.gateway, key) == 401;
            refused[1] |= models(cluster.gateway2, key) == 401;
        }
        Duration took = Duration.ofNanos(System.nanoTime() - revoked);
        assertThat(refused).containsExactly(true, true);
        assertThat(took).isLessThan(Duration.ofSeconds(1));
    }

    int models(ServiceProcess replica, String key) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(replica.url() + "/v1/models"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @Order(4)
    void theOfficialJavaSdkRaisesRateLimitExceptionWithTheRetryAfterItRead() throws Exception {
        String key = tenant("sdk", "{\"requests_per_minute\":1}");
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(cluster.gateway2.url() + "/v1").apiKey(key)
                .maxRetries(0).timeout(Duration.ofSeconds(60)).build();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(cluster.modelId)
                .addUserMessage("Hi").maxCompletionTokens(2).build();
        assertThat(client.chat().completions().create(params).choices()).hasSize(1);

        assertThatThrownBy(() -> client.chat().completions().create(params))
                .isInstanceOfSatisfying(RateLimitException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(429);
                    assertThat(e.code()).contains("rate_limit_exceeded");
                    assertThat(e.headers().values("retry-after")).singleElement()
                            .satisfies(v -> assertThat(Integer.parseInt(v)).isBetween(1, 60));
                    assertThat(e.headers().values("x-ratelimit-remaining-requests")).containsExactly("0");
                });
    }

    @Test
    @Order(5)
    void noKeyIsWrittenToAnyLogOrToRedis() throws Exception {
        assertThat(KEYS).isNotEmpty();
        List<String> secrets = new ArrayList<>(KEYS);
        secrets.add(Cluster.API_KEY);
        secrets.add(Cluster.ADMIN_KEY);

        List<Path> logs;
        try (Stream<Path> files = Files.list(cluster.logs)) {
            logs = files.filter(Files::isRegularFile).toList();
        }
        assertThat(logs).isNotEmpty();
        for (Path log : logs) {
            String text = Files.readString(log, StandardCharsets.ISO_8859_1);
            for (String secret : secrets) {
                assertThat(text).as("%s must not contain a key", log.getFileName()).doesNotContain(secret);
            }
        }

        // every value in Redis, uncompressed, as one file
        Path dump = Files.createTempFile("switchboard-redis", ".rdb");
        String port = String.valueOf(TestInfra.get().redisPort());
        run("redis-cli", "-p", port, "CONFIG", "SET", "rdbcompression", "no");
        run("redis-cli", "-p", port, "--rdb", dump.toString());
        String values = new String(Files.readAllBytes(dump), StandardCharsets.ISO_8859_1);
        assertThat(values).as("the dump holds the stored keys").contains(RedisKeys.API_KEYS);
        for (String secret : secrets) {
            assertThat(values).as("Redis must not contain a key").doesNotContain(secret);
        }
    }

    static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
    }
}
