package io.switchboard.schema.wire;

import org.apache.kafka.common.serialization.Deserializer;
import org.jboss.logging.Logger;

/**
 * Kafka value deserializer for one event type. A record that does not decode (a poison message, or
 * an event of an unknown future version) is logged and handed on as {@code null}, which consumers
 * skip: one bad record never stops a partition.
 */
public abstract class EventDeserializer<T> implements Deserializer<T> {
    private static final Logger LOG = Logger.getLogger(EventDeserializer.class);
    private final Class<T> type;

    protected EventDeserializer(Class<T> type) {
        this.type = type;
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        try {
            return Json.MAPPER.readValue(data, type);
        } catch (Exception e) {
            LOG.warnf("skipping undecodable %s on %s: %s", type.getSimpleName(), topic, e.getMessage());
            return null;
        }
    }
}
