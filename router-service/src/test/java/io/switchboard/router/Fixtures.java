package io.switchboard.router;

import java.util.List;
import java.util.Set;

import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.Feature;
import io.switchboard.schema.event.GenerationOptions;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.Providers;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.schema.event.ServiceClass;
import io.switchboard.schema.event.WorkerHeartbeat;

/** Small builders for router tests. */
public final class Fixtures {
    private Fixtures() {
    }

    public static InferenceJob job(String id, String model, int priority) {
        return job(id, model, priority, 60_000);
    }

    public static InferenceJob job(String id, String model, int priority, long deadlineMs) {
        return job(id, model, ServiceClass.STANDARD, priority, deadlineMs);
    }

    public static InferenceJob job(String id, String model, ServiceClass band, int priority) {
        return job(id, model, band, priority, 60_000);
    }

    public static InferenceJob job(String id, String model, ServiceClass band, int priority, long deadlineMs) {
        return new InferenceJob(InferenceJob.VERSION, id, "req-" + id, "tenant", model, priority,
                List.of(new PromptMessage("user", "hi")),
                new SamplingParams(1.0, 1.0, null, null, 16, List.of(), null, 0, 0, false), 0, deadlineMs, "key-1", band, 1.0);
    }

    /** A job of {@code tenant} (its weight {@code weight}) with a prompt of {@code promptChars} characters. */
    public static InferenceJob job(String id, String model, ServiceClass band, String tenant, double weight, int priority,
            long deadlineMs, int promptChars) {
        return new InferenceJob(InferenceJob.VERSION, id, "req-" + id, tenant, model, priority,
                List.of(new PromptMessage("user", "x".repeat(promptChars))),
                new SamplingParams(1.0, 1.0, null, null, 16, List.of(), null, 0, 0, false), 0, deadlineMs, "key-" + tenant, band,
                weight);
    }

    /** A job of {@code tenant} in {@code band}, weight 1, priority 0, a 40-character (10-token) prompt. */
    public static InferenceJob job(String id, String model, ServiceClass band, String tenant) {
        return job(id, model, band, tenant, 1.0, 0, 60_000, 40);
    }

    /** The job asking for {@code n} choices. */
    public static InferenceJob choices(InferenceJob job, int n) {
        return job.withOptions(new GenerationOptions(n, false, null, null, null, null, null, null));
    }

    /** A worker whose engine runs up to 8 choices per request. */
    public static WorkerHeartbeat choicesHeartbeat(String workerId, int slots, String... models) {
        return new WorkerHeartbeat(WorkerHeartbeat.VERSION, workerId, List.of(models), "llama", slots, slots, 0, List.of(), 0,
                1000, new EngineCapabilities(List.of(), 0, 8, Set.of(Feature.N), true), Providers.LOCAL);
    }

    public static WorkerHeartbeat heartbeat(String workerId, int slots, String... models) {
        return new WorkerHeartbeat(WorkerHeartbeat.VERSION, workerId, List.of(models), "llama", slots, slots, 0, List.of(), 0,
                1000);
    }
}
