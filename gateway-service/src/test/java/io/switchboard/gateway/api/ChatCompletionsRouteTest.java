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

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.switchboard.schema.event.CancelJob;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.Usage;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.KafkaTestClient;
import io.switchboard.testing.OpenAiSchemas;

/**
 * The gateway service on a real Kafka broker and Redis; the test plays router and worker: it reads the
 * job the gateway published and writes the job's token events into its Redis stream.
 */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
class ChatCompletionsRouteTest {

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
    void publishedJobCarriesTenantAndSamplingAndTheAnswerIsAssembledFromTheStream() throws Exception {
        var pending = harness.send("\"temperature\":0.3,\"max_tokens\":9,\"priority\":2");
        InferenceJob job = harness.publishedJob(pending.marker());
        assertThat(job.tenantId()).isEqualTo("test");
        assertThat(job.sampling().temperature()).isEqualTo(0.3);
        assertThat(job.sampling().maxTokens()).isEqualTo(9);
        assertThat(job.priority()).isEqualTo(2);

        harness.write(job.jobId(), TokenEvent.Delta.of("Hello"), TokenEvent.Delta.of(", world"),
                TokenEvent.Finish.of("stop", Usage.of(12, 3)));

        HttpResponse<String> response = pending.response().get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        OpenAiSchemas.assertValid("CreateChatCompletionResponse", response.body());
        JsonNode body = Json.MAPPER.readTree(response.body());
        assertThat(body.get("id").asText()).isEqualTo(job.jobId());
        assertThat(body.at("/choices/0/message/content").asText()).isEqualTo("Hello, world");
        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(body.at("/usage/total_tokens").asInt()).isEqualTo(15);
    }

    @Test
    void sseStreamIsOpenAiFramingByteForByteWithTheStreamEntryIdOfEachEvent() throws Exception {
        var pending = harness.send("\"stream\":true,\"stream_options\":{\"include_usage\":true}");
        InferenceJob job = harness.publishedJob(pending.marker());
        List<String> ids = harness.write(job.jobId(), TokenEvent.Delta.of("Once"), TokenEvent.Delta.of(" upon"),
                TokenEvent.Finish.of("length", Usage.of(4, 2)));

        HttpResponse<String> response = pending.response().get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).contains("text/event-stream; charset=utf-8");
        String first = response.body().split("\n")[0];
        long created = Json.MAPPER.readTree(first.substring("data: ".length())).get("created").asLong();
        String head = "{\"id\":\"" + job.jobId() + "\",\"object\":\"chat.completion.chunk\",\"created\":" + created
                + ",\"model\":\"test-model\",\"system_fingerprint\":\"switchboard-v1\",";
        // the role chunk comes from no entry: id 0-0, before them all; finish and usage share the terminal's id
        assertThat(response.body()).isEqualTo(
                "data: " + head + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\nid: 0-0\n\n"
                        + "data: " + head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once\"},\"logprobs\":null,\"finish_reason\":null}]}\nid: " + ids.get(0) + "\n\n"
                        + "data: " + head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" upon\"},\"logprobs\":null,\"finish_reason\":null}]}\nid: " + ids.get(1) + "\n\n"
                        + "data: " + head + "\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"length\"}]}\nid: " + ids.get(2) + "\n\n"
                        + "data: " + head + "\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2,\"total_tokens\":6}}\nid: " + ids.get(2) + "\n\n"
                        + "data: [DONE]\n\n");
    }

    @Test
    void streamWithoutIncludeUsageHasNoUsageChunk() throws Exception {
        var pending = harness.send("\"stream\":true");
        InferenceJob job = harness.publishedJob(pending.marker());
        harness.write(job.jobId(), TokenEvent.Delta.of("x"), TokenEvent.Finish.of("stop", Usage.of(1, 1)));

        String body = pending.response().get(10, TimeUnit.SECONDS).body();
        assertThat(body).doesNotContain("usage").matches("(?s).*\"finish_reason\":\"stop\"}]}\nid: [0-9]+-[0-9]+\n\ndata: \\[DONE]\n\n");
    }

    @Test
    void failureBeforeTheFirstTokenIsARealHttpError() throws Exception {
        var pending = harness.send("\"stream\":true");
        InferenceJob job = harness.publishedJob(pending.marker());
        harness.write(job.jobId(), TokenEvent.Failure.of(FailureCode.NO_WORKER_AVAILABLE, "No worker serving model 'test-model'."));

        HttpResponse<String> response = pending.response().get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(503);
        OpenAiSchemas.assertValid("ErrorResponse", response.body());
        assertThat(Json.MAPPER.readTree(response.body()).at("/error/code").asText()).isEqualTo("no_worker_available");
    }

    @Test
    void aRefusalForLoadTellsTheClientWhenToRetry() throws Exception {
        var pending = harness.send("");
        InferenceJob job = harness.publishedJob(pending.marker());
        harness.write(job.jobId(), TokenEvent.Failure.of(FailureCode.TENANT_QUEUE_FULL, "Too many waiting.", 2500L));

        HttpResponse<String> response = pending.response().get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(429);
        OpenAiSchemas.assertValid("ErrorResponse", response.body());
        assertThat(response.headers().firstValue("retry-after")).contains("3");
        assertThat(response.headers().firstValue("retry-after-ms")).contains("2500");
    }

    @Test
    void failureAfterStreamingBeganGoesInBandThenDone() throws Exception {
        var pending = harness.send("\"stream\":true");
        InferenceJob job = harness.publishedJob(pending.marker());
        harness.write(job.jobId(), TokenEvent.Delta.of("partial"),
                TokenEvent.Failure.of(FailureCode.WORKER_LOST, "The worker running this request stopped responding."));

        HttpResponse<String> response = pending.response().get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        String[] events = response.body().split("\n\n");
        assertThat(events[events.length - 1]).isEqualTo("data: [DONE]");
        assertThat(events[events.length - 2]).isEqualTo("data: {\"error\":{\"message\":\"The worker running this request stopped "
                + "responding.\",\"type\":\"service_unavailable_error\",\"param\":null,\"code\":\"worker_lost\"}}");
    }

    @Test
    void requestThatOutlivesItsTimeoutGets504AndItsJobIsCancelled() throws Exception {
        var pending = harness.send("");
        InferenceJob job = harness.publishedJob(pending.marker());

        HttpResponse<String> response = pending.response().get(15, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(504);
        OpenAiSchemas.assertValid("ErrorResponse", response.body());
        CancelJob cancel = KafkaTestClient.await(Topics.CANCELS, CancelJob.class, c -> c.jobId().equals(job.jobId()),
                Duration.ofSeconds(10));
        assertThat(cancel.reason()).isEqualTo("timeout");
    }
}
