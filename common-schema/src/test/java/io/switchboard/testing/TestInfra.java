package io.switchboard.testing;

import java.nio.file.Path;

import io.switchboard.schema.wire.TopicInitializer;

/**
 * The one real Kafka broker and Redis server of a test JVM, started on first use and stopped when
 * the JVM exits. Every tier (QuarkusTests and end-to-end ITs) uses it.
 */
public final class TestInfra {
    private static TestInfra instance;

    private final KafkaBroker kafka;
    private final RedisServer redis;

    private TestInfra(KafkaBroker kafka, RedisServer redis) {
        this.kafka = kafka;
        this.redis = redis;
    }

    public static synchronized TestInfra get() {
        if (instance == null) {
            try {
                Path work = Path.of("target", "test-infra").toAbsolutePath();
                RedisServer redis = RedisServer.start(work);
                KafkaBroker kafka = KafkaBroker.start(work);
                TopicInitializer.ensureTopics(kafka.bootstrapServers(), 1, java.time.Duration.ofSeconds(30));
                instance = new TestInfra(kafka, redis);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    kafka.close();
                    redis.close();
                }));
            } catch (Exception e) {
                throw new IllegalStateException("cannot start test infrastructure: " + e.getMessage(), e);
            }
        }
        return instance;
    }

    public String kafkaBootstrapServers() {
        return kafka.bootstrapServers();
    }

    public String redisUri() {
        return redis.uri();
    }

    public int redisPort() {
        return redis.port();
    }
}
