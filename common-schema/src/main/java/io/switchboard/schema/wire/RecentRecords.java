package io.switchboard.schema.wire;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * For a consumer of its own group that starts at a topic's end ({@code auto.offset.reset=latest}): moves it back to the
 * records of the last {@code lookback}, so what was published while it was starting (between the process coming up and
 * its partitions being assigned, seconds on a busy machine) is not skipped. A cancel sent in that gap would otherwise
 * never reach a worker already running the job. Only moves back, never past where the consumer already is.
 */
public final class RecentRecords {
    /** How far back a cancels consumer reads when its partitions are assigned: a slow start-up, with room. */
    public static final Duration CANCELS_LOOKBACK = Duration.ofSeconds(30);
    private static final Logger LOG = Logger.getLogger(RecentRecords.class);

    private RecentRecords() {
    }

    /**
     * Seeks each partition to its first record at or after {@code nowMs - lookback}, where that is behind its position.
     * If the broker cannot say in time, the consumer stays where it is (logged): a rebalance listener must not throw.
     */
    public static void seekBack(Consumer<?, ?> consumer, Collection<TopicPartition> partitions, Duration lookback, long nowMs) {
        if (partitions.isEmpty()) {
            return;
        }
        try {
            seek(consumer, partitions, lookback, nowMs);
        } catch (RuntimeException e) {
            LOG.warnf("could not read back the last %d s of %s (it starts at its end): %s", lookback.toSeconds(), partitions,
                    e.toString());
        }
    }

    private static void seek(Consumer<?, ?> consumer, Collection<TopicPartition> partitions, Duration lookback, long nowMs) {
        Map<TopicPartition, Long> since = new HashMap<>();
        for (TopicPartition tp : partitions) {
            since.put(tp, Math.max(0, nowMs - lookback.toMillis()));
        }
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(since, Duration.ofSeconds(10));
        for (TopicPartition tp : partitions) {
            OffsetAndTimestamp first = found.get(tp);
            if (first != null && first.offset() < consumer.position(tp, Duration.ofSeconds(10))) {
                consumer.seek(tp, first.offset());
            }
        }
    }
}
