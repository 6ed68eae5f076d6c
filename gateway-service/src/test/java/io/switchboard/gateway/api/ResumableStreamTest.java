package io.switchboard.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.Feature;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.Providers;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.Usage;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.OpenAiSchemas;
import io.switchboard.testing.Wait;

/**
 * {@code GET /v1/chat/completions/{id}/stream} with {@code Last-Event-ID}: the rest of a stream, exactly, as the
 * original would have sent it; only to the tenant that made the request. The test plays the worker.
 */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
class ResumableStreamTest {
    static final String RESUMED = "switchboard_gateway_resumes_total{outcome=\"resumed\"}";
    static final String USAGE = "\"stream\":true,\"stream_options\":{\"include_usage\":true}";

    @TestHTTPResource("/v1/chat/completions")
    URI endpoint;
    @Inject
    RedisDataSource redis;
    GatewayHarness harness;

    @BeforeEach
    void setUp() {
        harness = new GatewayHarness(endpoint, redis);
    }

    /** A finished streamed job: its id, its entry ids, and the full body the client got. */
    record Finished(InferenceJob job, List<String> ids, String body) {
    }

    Finished finishedStream() throws Exception {
        var pending = harness.send(USAGE);
        InferenceJob job = harness.publishedJob(pending.marker());
        List<String> ids = harness.write(job.jobId(), TokenEvent.Delta.of("Once"), TokenEvent.Delta.of(" upon"),
                TokenEvent.Delta.of(" a time"), TokenEvent.Finish.of("stop", Usage.of(5, 3)));
        HttpResponse<String> response = pending.response().get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        return new Finished(job, ids, response.body());
    }

    @Test
    void everyChunkCarriesTheIdOfTheStreamEntryItCameFrom() throws Exception {
        Finished f = finishedStream();

        // role chunk, three deltas, finish and usage (both of the terminal entry), then [DONE] without an id
        assertThat(Sse.ids(f.body())).containsExactly("0-0", f.ids().get(0), f.ids().get(1), f.ids().get(2), f.ids().get(3),
                f.ids().get(3), null);
    }

    @Test
    void resumingAfterAnEventIdSendsExactlyTheRestOfTheStream() throws Exception {
        Finished f = finishedStream();
        List<Sse.Event> all = Sse.events(f.body());

        HttpResponse<String> resumed = harness.resume(f.job().jobId(), "sk-test", f.ids().get(0)).get(10, TimeUnit.SECONDS);

        assertThat(resumed.statusCode()).isEqualTo(200);
        assertThat(resumed.headers().firstValue("content-type")).contains("text/event-stream; charset=utf-8");
        // everything after the "Once" chunk (event 1), byte for byte: same id, created, model, fingerprint
        assertThat(resumed.body()).isEqualTo(Sse.join(all.subList(2, all.size())));
        assertThat(Sse.text(Sse.join(all.subList(0, 2))) + Sse.text(resumed.body())).isEqualTo("Once upon a time");
    }

    @Test
    void aResumedStreamOfTwoChoicesNamesItsProviderAndSendsNoSecondFinishForAChoiceThatEndedBefore() throws Exception {
        harness.announceWorker("resume-worker", "test-model-n", Set.of(Feature.N));
        var pending = harness.send("\"stream\":true,\"n\":2,\"stream_options\":{\"include_usage\":true}");
        InferenceJob job = harness.publishedJob(pending.marker());
        List<String> ids = harness.write(job.jobId(), TokenEvent.Delta.of(0, "Once").servedBy(Providers.CLOUD),
                TokenEvent.Delta.of(1, "Twice"), TokenEvent.ChoiceEnd.of(1, "stop"), TokenEvent.Delta.of(0, " upon"),
                TokenEvent.Finish.of("length", Usage.of(5, 3)));
        HttpResponse<String> original = pending.response().get(10, TimeUnit.SECONDS);
        List<Sse.Event> all = Sse.events(original.body());
        // two role chunks, then one chunk per entry up to choice 1's end
        int afterChoiceEnd = 2 + 3;

        HttpResponse<String> resumed = harness.resume(job.jobId(), "sk-test", ids.get(2)).get(10, TimeUnit.SECONDS);

        assertThat(resumed.headers().firstValue("x-switchboard-provider")).contains("cloud");
        // byte for byte what the original sent after that entry: choice 0's piece and finish, usage, [DONE]
        assertThat(resumed.body()).isEqualTo(Sse.join(all.subList(afterChoiceEnd, all.size())));
        assertThat(resumed.body()).contains("\"provider\":\"cloud\"").doesNotContain("\"index\":1");
    }

    @Test
    void resumingAfterTheRoleChunkSendsEveryEntryAndNoSecondRoleChunk() throws Exception {
        Finished f = finishedStream();
        List<Sse.Event> all = Sse.events(f.body());

        String resumed = harness.resume(f.job().jobId(), "sk-test", "0-0").get(10, TimeUnit.SECONDS).body();

        assertThat(resumed).isEqualTo(Sse.join(all.subList(1, all.size())));
    }

    @Test
    void resumingWithoutLastEventIdReplaysTheWholeStream() throws Exception {
        Finished f = finishedStream();

        String resumed = harness.resume(f.job().jobId(), "sk-test", null).get(10, TimeUnit.SECONDS).body();

        assertThat(resumed).isEqualTo(f.body());
    }

    @Test
    void resumingAfterTheTerminalEventSendsOnlyDone() throws Exception {
        Finished f = finishedStream();

        String resumed = harness.resume(f.job().jobId(), "sk-test", f.ids().get(3)).get(10, TimeUnit.SECONDS).body();

        assertThat(resumed).isEqualTo("data: [DONE]\n\n");
    }

    @Test
    void aResumedStreamFollowsAJobStillRunningToItsEnd() throws Exception {
        var pending = harness.send("\"stream\":true");
        InferenceJob job = harness.publishedJob(pending.marker());
        String first = harness.write(job.jobId(), TokenEvent.Delta.of("Hello")).get(0);

        double before = Metrics.value(RESUMED);
        var resumed = harness.resume(job.jobId(), "sk-test", first);
        Wait.until(Duration.ofSeconds(5), "the resume to start", () -> Metrics.value(RESUMED) > before);
        harness.write(job.jobId(), TokenEvent.Delta.of(", world"), TokenEvent.Finish.of("stop", Usage.of(2, 2)));

        String body = resumed.get(10, TimeUnit.SECONDS).body();
        assertThat(Sse.text(body)).isEqualTo(", world");
        assertThat(body).doesNotContain("\"role\"").endsWith("data: [DONE]\n\n");
        assertThat(Sse.text(pending.response().get(10, TimeUnit.SECONDS).body())).isEqualTo("Hello, world");
    }

    @Test
    void aFailureAfterTheResumePointGoesInBandOnTheResumedStream() throws Exception {
        var pending = harness.send("\"stream\":true");
        InferenceJob job = harness.publishedJob(pending.marker());
        List<String> ids = harness.write(job.jobId(), TokenEvent.Delta.of("partial"),
                TokenEvent.Failure.of(FailureCode.WORKER_LOST, "The worker running this request stopped responding."));
        pending.response().get(10, TimeUnit.SECONDS);

        HttpResponse<String> resumed = harness.resume(job.jobId(), "sk-test", ids.get(0)).get(10, TimeUnit.SECONDS);

        assertThat(resumed.statusCode()).isEqualTo(200);
        List<Sse.Event> events = Sse.events(resumed.body());
        assertThat(events).hasSize(2);
        assertThat(events.get(0).json().at("/error/code").asText()).isEqualTo("worker_lost");
        assertThat(events.get(1).data()).isEqualTo("[DONE]");
    }

    @Test
    void anotherTenantsKeyGets404AsIfTheIdDidNotExist() throws Exception {
        Finished f = finishedStream();
        String tenant = "other-" + UUID.randomUUID().toString().substring(0, 8);
        Admin.createTenant("{\"id\":\"" + tenant + "\"}").then().statusCode(201);
        String otherKey = Admin.createKey(tenant, "{}");

        HttpResponse<String> response = harness.resume(f.job().jobId(), otherKey, null).get(10, TimeUnit.SECONDS);

        assertThat(response.statusCode()).isEqualTo(404);
        OpenAiSchemas.assertValid("ErrorResponse", response.body());
        assertThat(Json.MAPPER.readTree(response.body()).at("/error/code").asText()).isEqualTo("not_found");
        assertThat(response.body()).doesNotContain("Once");
    }

    @Test
    void anUnknownIdGets404() throws Exception {
        for (String id : List.of("chatcmpl-" + UUID.randomUUID().toString().replace("-", ""), "not-a-completion-id")) {
            HttpResponse<String> response = harness.resume(id, "sk-test", null).get(10, TimeUnit.SECONDS);
            assertThat(response.statusCode()).as(id).isEqualTo(404);
            OpenAiSchemas.assertValid("ErrorResponse", response.body());
            assertThat(Json.MAPPER.readTree(response.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");
        }
    }

    @Test
    void aResumeWithoutAValidKeyGets401() throws Exception {
        Finished f = finishedStream();

        assertThat(harness.resume(f.job().jobId(), "sk-wrong", null).get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(401);
    }

    @Test
    void aMalformedLastEventIdIs400() throws Exception {
        Finished f = finishedStream();

        HttpResponse<String> response = harness.resume(f.job().jobId(), "sk-test", "yesterday").get(10, TimeUnit.SECONDS);

        assertThat(response.statusCode()).isEqualTo(400);
        OpenAiSchemas.assertValid("ErrorResponse", response.body());
    }

    @Test
    void theMetaHashHoldsWhatAResumeNeedsUntilTheDeadlinePlusTheRetention() throws Exception {
        var pending = harness.send(USAGE);
        InferenceJob job = harness.publishedJob(pending.marker());

        Map<String, String> meta = redis.hash(String.class).hgetall(RedisKeys.jobMeta(job.jobId()));
        assertThat(meta).containsEntry("tenant", "test").containsEntry("model", "test-model")
                .containsEntry("created", Long.toString(job.createdAtMs() / 1000))
                .containsEntry("deadline", Long.toString(job.deadlineAtMs())).containsEntry("usage", "1");
        long ttl = redis.key().pttl(RedisKeys.jobMeta(job.jobId()));
        // request timeout 4 s in the tests, retention 5 min
        assertThat(ttl).isGreaterThan(5 * 60_000L).isLessThanOrEqualTo(5 * 60_000L + 4_000L);
        harness.write(job.jobId(), TokenEvent.Finish.of("stop", Usage.of(1, 0)));
        pending.response().get(10, TimeUnit.SECONDS);
    }
}
