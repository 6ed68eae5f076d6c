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

/** With Kafka unreachable the gateway answers 503 within its publish timeout, never hangs. */
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

    @Test
    void jobThatCannotBePublishedIs503() {
        given().header("Authorization", "Bearer sk-test").contentType("application/json")
                .body("{\"model\":\"test-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .post("/v1/chat/completions")
                .then().statusCode(503).body("error.code", equalTo("queue_unavailable"))
                .body("error.type", equalTo("service_unavailable_error"));
    }
}
