package io.switchboard.schema.wire;

import org.apache.kafka.common.serialization.Serializer;

/** Kafka value serializer for every Switchboard event: the wire JSON of {@link Json}. */
public class EventSerializer implements Serializer<Object> {
    @Override
    public byte[] serialize(String topic, Object data) {
        return data == null ? null : Json.writeBytes(data);
    }
}
