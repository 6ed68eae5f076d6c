package io.switchboard.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.switchboard.schema.event.CancelJob;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.KafkaTestClient;
import io.switchboard.testing.OpenAiSchemas;

/**
 * A job event the gateway cannot read never freezes or silently stops a request: the request ends at once with an
 * OpenAI error (in-band once streaming began) and the job is cancelled. (The test's request timeout is 4 s: an answer
 * well before it proves nobody waited for the deadline.)
 */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
class BadEventsTest {

    @TestHTTPResource("/v1/chat/completions")
    URI endpoint;
    @Inject
    RedisDataSource redis;
    GatewayHarness harness;

    @BeforeEach
    void setUp() {
        harness = new GatewayHarness(endpoint, redis);
    }

    @Test
    void anUndecodableEventEndsTheStreamWithAnInBandErrorAndCancelsTheJob() throws Exception {
        var pending = harness.send("\"stream\":true");
        InferenceJob job = harness.publishedJob(pending.marker());
        long start = System.nanoTime();
        harness.write(job.jobId(), TokenEvent.Delta.of("partial"));
        harness.writeRaw(job.jobId(), "{this is not json");
        harness.write(job.jobId(), TokenEvent.Delta.of(" never relayed"));

        HttpResponse<String> response = pending.response().get(10, TimeUnit.SECONDS);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(response.statusCode()).isEqualTo(200);
        List<Sse.Event> events = Sse.events(response.body());
        assertThat(Sse.text(response.body())).isEqualTo("partial");
        assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
        Sse.Event error = events.get(events.size() - 2);
        OpenAiSchemas.assertValid("ErrorResponse", error.data());
        assertThat(error.json().at("/error/code").asText()).isEqualTo("bad_job_event");
        assertThat(error.json().at("/error/type").asText()).isEqualTo("server_error");
        assertCancelled(job, "bad_event");
    }

    @Test
    void anEventOfAnUnknownTypeAnswersANonStreamingRequestWithAnErrorBodyAndCancelsTheJob() throws Exception {
        var pending = harness.send("");
        InferenceJob job = harness.publishedJob(pending.marker());
        harness.write(job.jobId(), TokenEvent.Delta.of("partial"));
        harness.writeRaw(job.jobId(), "{\"type\":\"teleport\",\"v\":9}");

        HttpResponse<String> response = pending.response().get(10, TimeUnit.SECONDS);

        assertThat(response.statusCode()).isEqualTo(500);
        OpenAiSchemas.assertValid("ErrorResponse", response.body());
        assertThat(Json.MAPPER.readTree(response.body()).at("/error/code").asText()).isEqualTo("bad_job_event");
        assertCancelled(job, "bad_event");
    }

    @Test
    void aDeltaWithoutTextIsABadEventNotAStalledStream() throws Exception {
        var pending = harness.send("\"stream\":true");
        InferenceJob job = harness.publishedJob(pending.marker());
        harness.writeRaw(job.jobId(), "{\"type\":\"delta\",\"v\":1}");

        HttpResponse<String> response = pending.response().get(10, TimeUnit.SECONDS);

        // nothing was streamed yet: a real HTTP error
        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(Json.MAPPER.readTree(response.body()).at("/error/code").asText()).isEqualTo("bad_job_event");
        assertCancelled(job, "bad_event");
    }

    private static void assertCancelled(InferenceJob job, String reason) {
        CancelJob cancel = KafkaTestClient.await(Topics.CANCELS, CancelJob.class, c -> c.jobId().equals(job.jobId()),
                Duration.ofSeconds(10));
        assertThat(cancel.reason()).isEqualTo(reason);
    }
}
