package io.switchboard.gateway.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.switchboard.schema.event.CancelJob;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.Usage;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.KafkaTestClient;
import io.switchboard.testing.Wait;

/**
 * The drain a SIGTERM starts ({@link ShutdownDrain#drain()}, called here as the shutdown would): new requests get 503
 * {@code shutting_down} with retry-after, readiness goes DOWN, a stream that ends within the grace ends normally, and
 * one still running after it ends with an in-band error, its job not cancelled (its client resumes elsewhere).
 * Its own application (a drained gateway stays drained).
 */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
@TestProfile(DrainTest.ShortGrace.class)
class DrainTest {

    public static class ShortGrace implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("switchboard.gateway.drain-grace", "2s", "switchboard.gateway.request-timeout", "20s");
        }
    }

    @TestHTTPResource("/v1/chat/completions")
    URI endpoint;
    @Inject
    RedisDataSource redis;
    @Inject
    ShutdownDrain drain;

    @Test
    void drainRefusesNewRequestsLetsRunningStreamsFinishAndEndsWhatIsLeftInBand() throws Exception {
        GatewayHarness harness = new GatewayHarness(endpoint, redis);
        var finishing = harness.send("\"stream\":true");
        InferenceJob finishingJob = harness.publishedJob(finishing.marker());
        var lingering = harness.send("\"stream\":true");
        InferenceJob lingeringJob = harness.publishedJob(lingering.marker());
        harness.write(finishingJob.jobId(), TokenEvent.Delta.of("done in time"));
        harness.write(lingeringJob.jobId(), TokenEvent.Delta.of("cut"));
        given().get("/q/health/ready").then().statusCode(200);

        CompletableFuture<Void> drained = CompletableFuture.runAsync(drain::drain);
        Wait.until(Duration.ofSeconds(2), "the drain to begin", drain::draining);

        given().header("Authorization", "Bearer sk-test").contentType("application/json").body(Admin.chat(""))
                .post("/v1/chat/completions")
                .then().statusCode(503).header("retry-after", "1").body("error.code", equalTo("shutting_down"))
                .body("error.type", equalTo("service_unavailable_error"));
        given().get("/q/health/ready").then().statusCode(503);

        harness.write(finishingJob.jobId(), TokenEvent.Finish.of("stop", Usage.of(1, 3)));
        String finished = finishing.response().get(5, TimeUnit.SECONDS).body();
        assertThat(Sse.text(finished)).isEqualTo("done in time");
        assertThat(finished).doesNotContain("error").endsWith("data: [DONE]\n\n");

        HttpResponse<String> cut = lingering.response().get(10, TimeUnit.SECONDS);
        List<Sse.Event> events = Sse.events(cut.body());
        assertThat(Sse.text(cut.body())).isEqualTo("cut");
        assertThat(events.get(events.size() - 2).json().at("/error/code").asText()).isEqualTo("shutting_down");
        assertThat(events.get(events.size() - 2).id()).as("no id: a resume goes on after the last chunk").isNull();
        assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
        drained.get(10, TimeUnit.SECONDS);
        assertThat(KafkaTestClient.all(Topics.CANCELS, CancelJob.class, c -> c.jobId().equals(lingeringJob.jobId()),
                Duration.ofSeconds(2))).isEmpty();
    }
}
