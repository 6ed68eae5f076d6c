package io.switchboard.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.switchboard.schema.wire.Json;

/** Plays another service in a service test: sends events to a topic and waits for events on one, as JSON. */
public final class KafkaTestClient {
    private KafkaTestClient() {
    }

    /** Sends one event and waits for the broker's ack; answers the record's offset. */
    public static long send(String topic, String key, Object event) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfra.get().kafkaBootstrapServers());
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            return producer.send(new ProducerRecord<>(topic, key, Json.write(event))).get().offset();
        } catch (Exception e) {
            throw new IllegalStateException("cannot send to " + topic, e);
        }
    }

    /** The first event on {@code topic} (read from the start) that decodes to {@code type} and matches. */
    public static <T> T await(String topic, Class<T> type, Predicate<T> match, Duration timeout) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfra.get().kafkaBootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                    T event = Json.read(record.value(), type);
                    if (match.test(event)) {
                        return event;
                    }
                }
            }
        }
        throw new AssertionError("no matching " + type.getSimpleName() + " on " + topic + " within " + timeout);
    }

    /** Every event on {@code topic} (read from the start of every partition, no consumer group) that decodes to
     * {@code type} and matches, reading for {@code window}. */
    public static <T> List<T> all(String topic, Class<T> type, Predicate<T> match, Duration window) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfra.get().kafkaBootstrapServers());
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<T> found = new ArrayList<>();
            long deadline = System.nanoTime() + window.toNanos();
            while (System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(100))) {
                    T event = Json.read(record.value(), type);
                    if (match.test(event)) {
                        found.add(event);
                    }
                }
            }
            return found;
        }
    }
}
