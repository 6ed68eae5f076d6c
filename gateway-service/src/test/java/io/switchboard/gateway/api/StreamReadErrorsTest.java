package io.switchboard.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.switchboard.schema.event.CancelJob;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.KafkaTestClient;
import io.switchboard.testing.OpenAiSchemas;

/**
 * A job stream Redis will not read (here: its key holds a string, so every XREAD fails with WRONGTYPE) is read again
 * {@code stream-read-retries} times with backoff, then the request ends with a 503 and the job is cancelled: well
 * before the request's deadline (4 s in the tests), never a hang until it.
 */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
class StreamReadErrorsTest {
    static final String ERRORS = "switchboard_gateway_stream_read_errors_total";
    static final String FAILURES = "switchboard_gateway_stream_read_failures_total";

    @TestHTTPResource("/v1/chat/completions")
    URI endpoint;
    @Inject
    RedisDataSource redis;

    @Test
    void aStreamRedisKeepsFailingToReadEndsWith503AfterTheRetriesNotAtTheDeadline() throws Exception {
        GatewayHarness harness = new GatewayHarness(endpoint, redis);
        double errorsBefore = Metrics.value(ERRORS);
        double failuresBefore = Metrics.value(FAILURES);
        var pending = harness.send("\"stream\":true");
        InferenceJob job = harness.publishedJob(pending.marker());
        redis.value(String.class).set(RedisKeys.jobStream(job.jobId()), "not a stream");

        HttpResponse<String> response = pending.response().get(10, TimeUnit.SECONDS);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
        OpenAiSchemas.assertValid("ErrorResponse", response.body());
        assertThat(Json.MAPPER.readTree(response.body()).at("/error/code").asText())
                .as("Redis's error, not the deadline's request_timeout").isEqualTo("service_unavailable");
        // the first try and 3 retries (switchboard.gateway.stream-read-retries)
        assertThat(Metrics.value(ERRORS) - errorsBefore).isGreaterThanOrEqualTo(4);
        assertThat(Metrics.value(FAILURES) - failuresBefore).isEqualTo(1);
        CancelJob cancel = KafkaTestClient.await(Topics.CANCELS, CancelJob.class, c -> c.jobId().equals(job.jobId()),
                Duration.ofSeconds(10));
        assertThat(cancel.reason()).isEqualTo("stream_error");
    }
}
