package io.switchboard.gateway.api;

import static io.switchboard.gateway.api.Admin.admin;
import static io.switchboard.gateway.api.Admin.chat;
import static io.switchboard.gateway.api.Admin.createKey;
import static io.switchboard.gateway.api.Admin.createTenant;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.XAddArgs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.switchboard.gateway.limits.Reservation;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.openai.Usage;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.KafkaTestClient;

/**
 * Tenant limits on a real Redis and Kafka, the test playing router and worker: exact admission under concurrency,
 * OpenAI's 429s and headers, budgets that reserved plus used never exceed, and usage that settles them.
 */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
class TenantLimitsTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TestHTTPResource("/v1/chat/completions")
    URI endpoint;
    @Inject
    RedisDataSource redis;

    /** A tenant with these limits (JSON) and one key; returns the key. */
    static String tenantWithLimits(String id, String limits) {
        createTenant("{\"id\":\"" + id + "\",\"limits\":" + limits + "}").then().statusCode(201);
        return createKey(id, "{}");
    }

    static String newId() {
        return "lim-" + UUID.randomUUID().toString().substring(0, 8);
    }

    CompletableFuture<HttpResponse<String>> send(String key, String body) {
        return HTTP.sendAsync(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    List<HttpResponse<String>> sendConcurrently(String key, String body, int n) {
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            pending.add(send(key, body));
        }
        return pending.stream().map(CompletableFuture::join).toList();
    }

    /** Plays the worker for every job the tenant got published: a delta, then the finish with this usage. */
    List<InferenceJob> finishAll(String tenant, int expected, Usage usage) {
        List<InferenceJob> jobs = PublishedJobs.of(tenant, Duration.ofSeconds(1));
        assertThat(jobs).hasSize(expected);
        for (InferenceJob job : jobs) {
            redis.stream(String.class).xadd(RedisKeys.jobStream(job.jobId()), new XAddArgs(),
                    Map.of(RedisKeys.EVENT_FIELD, Json.write(TokenEvent.Delta.of("ok"))));
            redis.stream(String.class).xadd(RedisKeys.jobStream(job.jobId()), new XAddArgs(),
                    Map.of(RedisKeys.EVENT_FIELD, Json.write(TokenEvent.Finish.of("stop", usage))));
        }
        return jobs;
    }

    static long count(List<HttpResponse<String>> responses, int status) {
        return responses.stream().filter(r -> r.statusCode() == status).count();
    }

    @Test
    void requestsPerMinuteAdmitExactlyTheLimitUnderConcurrency() throws Exception {
        String tenant = newId();
        String key = tenantWithLimits(tenant, "{\"requests_per_minute\":5}");
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            pending.add(send(key, chat(",\"max_tokens\":4")));
        }
        finishAll(tenant, 5, Usage.of(8, 1));
        List<HttpResponse<String>> responses = pending.stream().map(CompletableFuture::join).toList();
        assertThat(count(responses, 200)).isEqualTo(5);
        assertThat(count(responses, 429)).isEqualTo(7);

        HttpResponse<String> refused = responses.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
        JsonNode error = Json.MAPPER.readTree(refused.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(error.get("type").asText()).isEqualTo("requests");
        assertThat(refused.headers().firstValue("retry-after").map(Integer::parseInt).orElseThrow()).isBetween(1, 60);
        assertThat(refused.headers().firstValue("retry-after-ms")).isPresent();
        assertThat(refused.headers().firstValue("x-ratelimit-limit-requests")).contains("5");
        assertThat(refused.headers().firstValue("x-ratelimit-remaining-requests")).contains("0");
        // the window is back to its full limit when its newest request (admitted a moment ago) leaves it
        assertThat(resetMs(refused, "x-ratelimit-reset-requests")).isBetween(30_000L, 60_000L);

        HttpResponse<String> admitted = responses.stream().filter(r -> r.statusCode() == 200).findFirst().orElseThrow();
        assertThat(admitted.headers().firstValue("x-ratelimit-limit-requests")).contains("5");
        assertThat(admitted.headers().firstValue("x-ratelimit-remaining-requests").map(Integer::parseInt).orElseThrow())
                .isBetween(0, 4);
    }

    @Test
    void tokensPerMinuteCountPromptEstimatePlusMaxTokens() throws Exception {
        String tenant = newId();
        // each request reserves 32 + 8 + 2 (prompt "hi", bounded) + 20 (max_tokens) = 62 tokens: 200 fits three
        String key = tenantWithLimits(tenant, "{\"tokens_per_minute\":200}");
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            pending.add(send(key, chat(",\"max_tokens\":20,\"stream\":true")));
        }
        finishAll(tenant, 3, Usage.of(8, 1));
        List<HttpResponse<String>> responses = pending.stream().map(CompletableFuture::join).toList();
        assertThat(count(responses, 200)).isEqualTo(3);
        assertThat(count(responses, 429)).isEqualTo(3);
        HttpResponse<String> stream = responses.stream().filter(r -> r.statusCode() == 200).findFirst().orElseThrow();
        assertThat(stream.headers().firstValue("content-type").orElseThrow()).startsWith("text/event-stream");
        assertThat(stream.headers().firstValue("x-ratelimit-limit-tokens")).contains("200");
        HttpResponse<String> refused = responses.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
        assertThat(Json.MAPPER.readTree(refused.body()).at("/error/type").asText()).isEqualTo("tokens");
        assertThat(refused.headers().firstValue("x-ratelimit-remaining-tokens").map(Integer::parseInt).orElseThrow())
                .isLessThan(62);
        assertThat(resetMs(refused, "x-ratelimit-reset-tokens")).isBetween(30_000L, 60_000L);
    }

    /** A reset header ({@code 20ms}, {@code 59.5s}, {@code 1m0s}) in milliseconds. */
    static long resetMs(HttpResponse<String> response, String header) {
        String v = response.headers().firstValue(header).orElseThrow();
        if (v.endsWith("ms")) {
            return Long.parseLong(v.substring(0, v.length() - 2));
        }
        int m = v.indexOf('m');
        double seconds = Double.parseDouble(v.substring(m + 1, v.length() - 1));
        return (m < 0 ? 0 : Long.parseLong(v.substring(0, m)) * 60_000) + Math.round(seconds * 1000);
    }

    @Test
    void concurrentBudgetRequestsNeverExceedItAndUsageSettlesTheReservations() {
        String tenant = newId();
        String key = tenantWithLimits(tenant, "{\"tokens_per_day\":434}");
        String body = chat(",\"max_tokens\":20");
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            pending.add(send(key, body));
        }
        // 62 tokens reserved each: 7 fit in 434
        List<InferenceJob> jobs = finishAll(tenant, 7, Usage.of(8, 2));
        List<HttpResponse<String>> responses = pending.stream().map(CompletableFuture::join).toList();
        assertThat(count(responses, 200)).isEqualTo(7);
        assertThat(responses.stream().filter(r -> r.statusCode() == 429))
                .allSatisfy(r -> assertThat(r.body()).contains("\"insufficient_quota\""));
        String dayKey = RedisKeys.limitScope(tenant, "t") + "day:" + Reservation.day(jobs.get(0).createdAtMs());
        assertThat(Long.parseLong(redis.value(String.class).get(dayKey))).isEqualTo(7 * 62);

        // the worker reports what each really used (10 tokens): the budget now holds 70
        for (InferenceJob job : jobs) {
            KafkaTestClient.send(Topics.USAGE, tenant, usageOf(job, 8, 2));
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> "70".equals(redis.value(String.class).get(dayKey)));
        // 70 + 5 × 62 = 380 fits, a sixth would need 442
        List<CompletableFuture<HttpResponse<String>>> more = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            more.add(send(key, body));
        }
        finishAllNew(tenant, jobs, 5);
        List<HttpResponse<String>> second = more.stream().map(CompletableFuture::join).toList();
        assertThat(count(second, 200)).isEqualTo(5);
        assertThat(Long.parseLong(redis.value(String.class).get(dayKey))).isLessThanOrEqualTo(434);
    }

    private void finishAllNew(String tenant, List<InferenceJob> old, int expected) {
        List<InferenceJob> all = PublishedJobs.of(tenant, Duration.ofSeconds(1));
        List<InferenceJob> fresh = all.stream().filter(j -> old.stream().noneMatch(o -> o.jobId().equals(j.jobId()))).toList();
        assertThat(fresh).hasSize(expected);
        for (InferenceJob job : fresh) {
            redis.stream(String.class).xadd(RedisKeys.jobStream(job.jobId()), new XAddArgs(),
                    Map.of(RedisKeys.EVENT_FIELD, Json.write(TokenEvent.Finish.of("stop", Usage.of(8, 2)))));
        }
    }

    @Test
    void concurrencyIsFreedWhenTheAnswerEnds() throws Exception {
        String tenant = newId();
        String key = tenantWithLimits(tenant, "{\"max_concurrent_requests\":1}");
        CompletableFuture<HttpResponse<String>> first = send(key, chat(""));
        InferenceJob job = Awaitility.await().atMost(Duration.ofSeconds(10)).until(
                () -> PublishedJobs.of(tenant, Duration.ofMillis(300)), j -> j.size() == 1).get(0);
        HttpResponse<String> second = send(key, chat("")).get(10, TimeUnit.SECONDS);
        assertThat(second.statusCode()).isEqualTo(429);
        assertThat(second.body()).contains("concurrent");

        redis.stream(String.class).xadd(RedisKeys.jobStream(job.jobId()), new XAddArgs(),
                Map.of(RedisKeys.EVENT_FIELD, Json.write(TokenEvent.Finish.of("stop", Usage.of(8, 0)))));
        assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        CompletableFuture<HttpResponse<String>> third = send(key, chat(""));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> PublishedJobs.of(tenant, Duration.ofMillis(300)).size() == 2);
        third.cancel(true);
    }

    @Test
    void aClientThatSendsItsNextRequestOnReadingTheEndIsNeverRefusedForConcurrency() throws Exception {
        String tenant = newId();
        String key = tenantWithLimits(tenant, "{\"max_concurrent_requests\":1}");
        Set<String> ended = new HashSet<>();
        for (int round = 0; round < 6; round++) {
            boolean streaming = round % 2 == 1;
            CompletableFuture<HttpResponse<String>> answer = send(key, chat(streaming ? ",\"stream\":true" : ""));
            InferenceJob job = KafkaTestClient.await(Topics.JOBS, InferenceJob.class,
                    j -> tenant.equals(j.tenantId()) && !ended.contains(j.jobId()) || answer.isDone(), Duration.ofSeconds(10));
            assertThat(answer.isDone()).as("round %d refused: %s", round, answer.isDone() ? answer.join().body() : "")
                    .isFalse();
            redis.stream(String.class).xadd(RedisKeys.jobStream(job.jobId()), new XAddArgs(),
                    Map.of(RedisKeys.EVENT_FIELD, Json.write(TokenEvent.Finish.of("stop", Usage.of(8, 0)))));
            ended.add(job.jobId());
            // the next request goes out the moment this answer is read, as a sequential client's would
            assertThat(answer.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aKeysOwnLimitIsCountedApartFromItsTenants() {
        String tenant = newId();
        createTenant("{\"id\":\"" + tenant + "\",\"limits\":{\"requests_per_minute\":10}}").then().statusCode(201);
        String narrow = createKey(tenant, "{\"limits\":{\"requests_per_minute\":2}}");
        String wide = createKey(tenant, "{}");
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            pending.add(send(narrow, chat("")));
        }
        // the narrow key's two refusals come back at once; its two admitted requests wait for their answers
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> pending.stream().filter(f -> f.isDone() && f.join().statusCode() == 429).count() == 2);
        for (int i = 0; i < 12; i++) {
            pending.add(send(wide, chat("")));
        }
        finishAll(tenant, 10, Usage.of(8, 1));
        List<HttpResponse<String>> responses = pending.stream().map(CompletableFuture::join).toList();
        assertThat(count(responses.subList(0, 4), 200)).isEqualTo(2);
        assertThat(count(responses.subList(4, 16), 200)).isEqualTo(8);
    }

    @Test
    void aLimitedTenantsOtherAnswersCarryItsLastRateLimitHeaders() throws Exception {
        String tenant = newId();
        String key = tenantWithLimits(tenant, "{\"requests_per_minute\":50}");
        CompletableFuture<HttpResponse<String>> admitted = send(key, chat(""));
        finishAll(tenant, 1, Usage.of(8, 1));
        assertThat(admitted.get(10, TimeUnit.SECONDS).headers().firstValue("x-ratelimit-remaining-requests")).contains("49");

        HttpResponse<String> invalid = send(key, chat(",\"temperature\":5")).get(10, TimeUnit.SECONDS);
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(invalid.headers().firstValue("x-ratelimit-limit-requests")).contains("50");
        assertThat(invalid.headers().firstValue("x-ratelimit-remaining-requests")).contains("49");
        io.restassured.RestAssured.given().header("Authorization", "Bearer " + key).get("/v1/models").then()
                .statusCode(200).header("x-ratelimit-limit-requests", "50");
    }

    @Test
    void aRequestLargerThanAWholeLimitIs400NotA429() throws Exception {
        String key = tenantWithLimits(newId(), "{\"tokens_per_minute\":100}");
        HttpResponse<String> r = send(key, chat(",\"max_tokens\":500")).get(10, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode error = Json.MAPPER.readTree(r.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("request_too_large");
        assertThat(error.get("param").asText()).isEqualTo("max_tokens");
    }

    static UsageRecord usageOf(InferenceJob job, int prompt, int completion) {
        return new UsageRecord(UsageRecord.VERSION, job.jobId(), job.requestId(), job.tenantId(), job.keyId(), job.model(),
                "simulated", "worker-t", prompt, completion, 0, 1, 2L, 3, "stop", UsageRecord.Outcome.FINISHED, null,
                job.createdAtMs(), job.createdAtMs() + 3);
    }
}
