package io.switchboard.testing;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Points a {@code @QuarkusTest} service at the real Kafka broker and Redis server of {@link TestInfra}.
 */
public class InfraTestResource implements QuarkusTestResourceLifecycleManager {
    @Override
    public Map<String, String> start() {
        TestInfra infra = TestInfra.get();
        return Map.of(
                "kafka.bootstrap.servers", infra.kafkaBootstrapServers(),
                "quarkus.redis.hosts", infra.redisUri());
    }

    @Override
    public void stop() {
        // shared by all tests of the JVM; stopped by TestInfra's shutdown hook
    }
}
