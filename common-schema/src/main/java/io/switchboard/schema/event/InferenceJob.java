package io.switchboard.schema.event;

import java.util.List;

/**
 * A chat completion to run: published by the gateway on {@link io.switchboard.schema.wire.Topics#JOBS},
 * queued and placed by the router, run by a worker.
 *
 * @param v            event version ({@link #VERSION})
 * @param jobId        unique id; also the {@code id} of the OpenAI response and the key of the job's Redis stream
 * @param requestId    the {@code x-request-id} of the HTTP request, for tracing
 * @param tenantId     the tenant the API key resolved to
 * @param model        the model id the client asked for
 * @param priority     lower runs first (0 is the default); ties keep arrival order
 * @param messages     the conversation
 * @param sampling     the validated sampling parameters
 * @param createdAtMs  when the gateway accepted the request (epoch ms)
 * @param deadlineAtMs when the gateway stops waiting (epoch ms): nobody runs the job after it
 */
public record InferenceJob(
        int v,
        String jobId,
        String requestId,
        String tenantId,
        String model,
        int priority,
        List<PromptMessage> messages,
        SamplingParams sampling,
        long createdAtMs,
        long deadlineAtMs) {

    public static final int VERSION = 1;

    public InferenceJob {
        messages = List.copyOf(messages);
    }

    public boolean expiredAt(long nowMs) {
        return nowMs >= deadlineAtMs;
    }
}
