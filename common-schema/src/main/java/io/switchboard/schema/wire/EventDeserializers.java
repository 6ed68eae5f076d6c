package io.switchboard.schema.wire;

import io.switchboard.schema.event.CancelJob;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.event.WorkerHeartbeat;

/** One Kafka deserializer per event type, named in the services' channel configuration. */
public final class EventDeserializers {
    private EventDeserializers() {
    }

    public static class Jobs extends EventDeserializer<InferenceJob> {
        public Jobs() {
            super(InferenceJob.class);
        }
    }

    public static class Heartbeats extends EventDeserializer<WorkerHeartbeat> {
        public Heartbeats() {
            super(WorkerHeartbeat.class);
        }
    }

    public static class Cancels extends EventDeserializer<CancelJob> {
        public Cancels() {
            super(CancelJob.class);
        }
    }

    public static class Usage extends EventDeserializer<UsageRecord> {
        public Usage() {
            super(UsageRecord.class);
        }
    }
}
