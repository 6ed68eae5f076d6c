package io.switchboard.gateway.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.Ports;

/** With Redis unreachable the gateway cannot read the job's tokens: 503, and no stack trace. */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
@TestProfile(RedisUnreachableTest.NoRedis.class)
class RedisUnreachableTest {

    public static class NoRedis implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.redis.hosts", "redis://127.0.0.1:" + Ports.free());
        }
    }

    @Test
    void tokensThatCannotBeReadAre503() {
        given().header("Authorization", "Bearer sk-test").contentType("application/json")
                .body("{\"model\":\"test-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}")
                .post("/v1/chat/completions")
                .then().statusCode(503).body("error.type", equalTo("service_unavailable_error"));
    }
}
