package io.switchboard.worker.intake;

import java.util.Collection;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import io.switchboard.schema.wire.RecentRecords;

/**
 * The worker's cancels consumer (a group of its own, from the topic's end) reads the last seconds of cancels when its
 * partitions are assigned: a job it takes right after start-up may have been cancelled while it was joining. Until
 * then the worker is not ready ({@code cancels} readiness check) and its heartbeats offer no room: it could not hear a
 * cancel.
 */
@ApplicationScoped
@Identifier("worker-cancels-from-recent")
@Readiness
public class CancelsFromRecent implements KafkaConsumerRebalanceListener, HealthCheck {
    private volatile boolean assigned;

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        RecentRecords.seekBack(consumer, partitions, RecentRecords.CANCELS_LOOKBACK, System.currentTimeMillis());
        assigned = true;
    }

    /** Whether its partitions are assigned: the worker hears every cancel from now on. */
    public boolean ready() {
        return assigned;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("cancels").status(assigned).build();
    }
}
