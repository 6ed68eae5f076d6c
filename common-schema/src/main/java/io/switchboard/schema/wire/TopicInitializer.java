package io.switchboard.schema.wire;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.jboss.logging.Logger;

/**
 * Creates the system's topics when they are missing, so that no service depends on the broker's
 * auto-creation or on start order. Idempotent: every service calls it at start-up.
 */
public final class TopicInitializer {
    private static final Logger LOG = Logger.getLogger(TopicInitializer.class);

    private TopicInitializer() {
    }

    public static void ensureTopics(String bootstrapServers, int partitions, Duration timeout) {
        ensureTopics(bootstrapServers, partitions, (short) 1, 1, timeout);
    }

    /**
     * Creates the missing topics with {@code partitions} partitions, {@code replication} replicas and
     * {@code min.insync.replicas} of {@code minInsyncReplicas} (producers write with {@code acks=all}, so a write
     * succeeds only once that many replicas have it).
     */
    public static void ensureTopics(String bootstrapServers, int partitions, short replication, int minInsyncReplicas,
            Duration timeout) {
        Map<String, Object> config = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        try (Admin admin = Admin.create(config)) {
            Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = Topics.ALL.stream()
                    .filter(t -> !existing.contains(t))
                    .map(t -> new NewTopic(t, partitions, replication)
                            .configs(Map.of("retention.ms", String.valueOf(Topics.retention(t).toMillis()),
                                    "min.insync.replicas", String.valueOf(minInsyncReplicas))))
                    .toList();
            if (missing.isEmpty()) {
                return;
            }
            for (var entry : admin.createTopics(missing).values().entrySet()) {
                try {
                    entry.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    LOG.infof("created topic %s", entry.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topics on " + bootstrapServers + ": " + e.getMessage(), e);
        }
    }
}
