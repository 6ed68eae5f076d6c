package io.switchboard.router.intake;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.runtime.StartupEvent;
import io.switchboard.router.RouterConfig;
import io.switchboard.schema.wire.TopicInitializer;

/** Creates the system's topics at start-up when they are missing. */
@ApplicationScoped
public class TopicSetup {
    @Inject
    RouterConfig config;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    void onStart(@Observes StartupEvent ignored) {
        TopicInitializer.ensureTopics(bootstrap, config.topicPartitions(), config.topicReplication(),
                config.topicMinInsyncReplicas(), Duration.ofSeconds(30));
    }
}
