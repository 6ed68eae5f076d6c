package io.switchboard.router.intake;

import java.util.Collection;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import io.switchboard.schema.wire.RecentRecords;

/**
 * A router's cancels consumer (a group of its own, from the topic's end) reads the last seconds of cancels when its
 * partitions are assigned, so a job it already queued while it was starting is dropped when its cancel comes (a cancel
 * for a job the router has not read yet is ignored here; the worker's own cancels ledger still stops that job).
 */
@ApplicationScoped
@Identifier("router-cancels-from-recent")
public class CancelsFromRecent implements KafkaConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        RecentRecords.seekBack(consumer, partitions, RecentRecords.CANCELS_LOOKBACK, System.currentTimeMillis());
    }
}
