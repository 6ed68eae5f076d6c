package io.switchboard.schema.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import io.switchboard.testing.TestInfra;

/** A consumer of its own group, starting at the topic's end, on a real broker. */
class RecentRecordsTest {

    @Test
    void aConsumerThatStartsAtTheEndStillGetsWhatWasPublishedWithinTheLookbackButNothingOlder() throws Exception {
        String topic = "recent-" + UUID.randomUUID();
        long now = System.currentTimeMillis();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfra.get().kafkaBootstrapServers());
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            // the records a starting consumer would miss: one older than the lookback, two within it (the lookback is
            // counted from the assignment, which a cold broker may make many seconds after now)
            producer.send(new ProducerRecord<>(topic, 0, now - 600_000, "k", "too old")).get();
            producer.send(new ProducerRecord<>(topic, 0, now - 20_000, "k", "during start-up")).get();
            producer.send(new ProducerRecord<>(topic, 0, now - 1_000, "k", "just before")).get();
        }

        List<String> seen = new ArrayList<>();
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfra.get().kafkaBootstrapServers());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "own-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        try (var consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    RecentRecords.seekBack(consumer, partitions, Duration.ofMinutes(2), System.currentTimeMillis());
                }

                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (seen.size() < 2 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> seen.add(r.value()));
            }
        }

        assertThat(seen).containsExactly("during start-up", "just before");
    }
}
