package io.switchboard.gateway.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.Usage;
import io.switchboard.schema.wire.JobOwners;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.Ports;
import io.switchboard.testing.Wait;

/**
 * With Kafka unreachable the gateway answers 503 within its publish timeout, never hangs; and the job it answered
 * for is claimed abandoned first, so it never runs later (unless a worker owned it first: then it is served).
 */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
@TestProfile(KafkaUnreachableTest.NoKafka.class)
class KafkaUnreachableTest {

    public static class NoKafka implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("kafka.bootstrap.servers", "127.0.0.1:" + Ports.free(),
                    "switchboard.gateway.publish-timeout", "2s");
        }
    }

    @TestHTTPResource("/v1/chat/completions")
    URI endpoint;
    @Inject
    RedisDataSource redis;

    @Test
    void jobThatCannotBePublishedIs503() {
        given().header("Authorization", "Bearer sk-test").contentType("application/json")
                .body("{\"model\":\"test-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .post("/v1/chat/completions")
                .then().statusCode(503).body("error.code", equalTo("queue_unavailable"))
                .body("error.type", equalTo("service_unavailable_error"));
    }

    @Test
    void aJobThatCannotBePublishedIsClaimedAbandonedBeforeThe503() {
        Set<String> before = metaKeys();
        long start = System.currentTimeMillis();

        given().header("Authorization", "Bearer sk-test").contentType("application/json")
                .body("{\"model\":\"test-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .post("/v1/chat/completions").then().statusCode(503);

        // read at once after the 503: the claim was made before it went out
        String jobId = newJob(before);
        String owner = RedisKeys.jobOwner(jobId);
        assertThat(redis.value(String.class).get(owner)).isEqualTo(JobOwners.abandoned("publish_failed"));
        // until a while after the job's deadline (4 s after it arrived in the tests)
        assertThat(redis.key().pttl(owner)).isGreaterThan(JobOwners.TTL_AFTER_DEADLINE_MS)
                .isLessThanOrEqualTo(JobOwners.ttlMs(start + 4_000, start));
    }

    @Test
    void aJobAWorkerOwnedBeforeThePublishFailedIsServedNot503() throws Exception {
        Set<String> before = metaKeys();
        GatewayHarness harness = new GatewayHarness(endpoint, redis);
        var pending = harness.send("");
        // the meta is written alongside the publish, which takes its 2 s to fail: a worker "accepts" the job meanwhile
        AtomicReference<String> job = new AtomicReference<>();
        Wait.until(Duration.ofSeconds(2), "the job's meta", () -> {
            Set<String> now = metaKeys();
            now.removeAll(before);
            if (now.size() == 1) {
                job.set(jobIdOf(now.iterator().next()));
            }
            return job.get() != null;
        });
        redis.value(String.class).set(RedisKeys.jobOwner(job.get()), "worker-1");
        harness.write(job.get(), TokenEvent.Delta.of("served"), TokenEvent.Finish.of("stop", Usage.of(1, 1)));

        HttpResponse<String> response = pending.response().get(10, TimeUnit.SECONDS);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).contains("\"content\":\"served\"");
        assertThat(redis.value(String.class).get(RedisKeys.jobOwner(job.get()))).isEqualTo("worker-1");
    }

    private Set<String> metaKeys() {
        return new HashSet<>(redis.key().keys(RedisKeys.PREFIX + "job:*:meta"));
    }

    private String newJob(Set<String> before) {
        List<String> fresh = metaKeys().stream().filter(k -> !before.contains(k)).toList();
        assertThat(fresh).hasSize(1);
        return jobIdOf(fresh.get(0));
    }

    private static String jobIdOf(String metaKey) {
        return metaKey.substring(metaKey.indexOf('{') + 1, metaKey.indexOf('}'));
    }
}
