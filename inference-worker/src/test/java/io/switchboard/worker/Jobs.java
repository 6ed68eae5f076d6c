package io.switchboard.worker;

import java.util.List;
import java.util.UUID;

import io.switchboard.schema.event.GenerationOptions;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.schema.event.ServiceClass;

/** Jobs for worker tests. */
public final class Jobs {
    private Jobs() {
    }

    public static InferenceJob job(String model, int maxTokens, double temperature, List<String> stop, boolean ignoreEos) {
        return new InferenceJob(InferenceJob.VERSION, "chatcmpl-" + UUID.randomUUID().toString().replace("-", ""), "req",
                "tenant", model, 0,
                List.of(new PromptMessage("system", "You tell stories."), new PromptMessage("user", "Tell me a story.")),
                new SamplingParams(temperature, 1.0, null, null, maxTokens, stop, 42L, 0, 0, ignoreEos),
                System.currentTimeMillis(), System.currentTimeMillis() + 60_000, "key-1", ServiceClass.STANDARD, 1.0);
    }

    /** The same job with other generation options (n, logprobs, response format, tools). */
    public static InferenceJob withOptions(InferenceJob job, GenerationOptions options) {
        return job.withOptions(options);
    }
}
