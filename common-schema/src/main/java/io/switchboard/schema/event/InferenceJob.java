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
 * @param priority     orders the job within its tenant and band: lower runs first (0 is the default; the gateway
 *                     clamps it to [-100, 100]); ties keep arrival order
 * @param messages     the conversation
 * @param sampling     the validated sampling parameters
 * @param createdAtMs  when the gateway accepted the request (epoch ms)
 * @param deadlineAtMs when the gateway stops waiting (epoch ms): nobody runs the job after it
 * @param keyId        the id of the API key that made the request (never the key); null for jobs before v2
 * @param serviceClass the router's priority band: the tenant's class, or lower ({@code service_tier: "flex"});
 *                     {@link ServiceClass#STANDARD} for jobs before v2
 * @param weight       the tenant's share within its band (positive; 1 for jobs before v2)
 * @param options      choices, logprobs, response format, tools and engine extensions ({@link GenerationOptions#DEFAULT}
 *                     for jobs before v3)
 * @param provider     where it may run: {@link Providers#LOCAL}, {@link Providers#CLOUD}, or null for automatic routing
 *                     (local first, overflowing to a cloud provider when local capacity is saturated or down)
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
        long deadlineAtMs,
        String keyId,
        ServiceClass serviceClass,
        double weight,
        GenerationOptions options,
        String provider) {

    /**
     * v2 added {@code keyId}, {@code serviceClass} and {@code weight}; v3 added {@code options}. Older jobs decode with
     * their defaults.
     */
    public static final int VERSION = 3;

    public InferenceJob {
        messages = List.copyOf(messages);
        serviceClass = serviceClass == null ? ServiceClass.STANDARD : serviceClass;
        weight = weight > 0 ? weight : 1.0;
        options = options == null ? GenerationOptions.DEFAULT : options;
    }

    /** A job with automatic provider routing. */
    public InferenceJob(int v, String jobId, String requestId, String tenantId, String model, int priority,
            List<PromptMessage> messages, SamplingParams sampling, long createdAtMs, long deadlineAtMs, String keyId,
            ServiceClass serviceClass, double weight, GenerationOptions options) {
        this(v, jobId, requestId, tenantId, model, priority, messages, sampling, createdAtMs, deadlineAtMs, keyId,
                serviceClass, weight, options, null);
    }

    /** A job without generation options (a v2 job): one choice of plain text. */
    public InferenceJob(int v, String jobId, String requestId, String tenantId, String model, int priority,
            List<PromptMessage> messages, SamplingParams sampling, long createdAtMs, long deadlineAtMs, String keyId,
            ServiceClass serviceClass, double weight) {
        this(v, jobId, requestId, tenantId, model, priority, messages, sampling, createdAtMs, deadlineAtMs, keyId,
                serviceClass, weight, null, null);
    }

    /** A job without tenancy details (a v1 job): no key id, {@link ServiceClass#STANDARD}, weight 1. */
    public InferenceJob(int v, String jobId, String requestId, String tenantId, String model, int priority,
            List<PromptMessage> messages, SamplingParams sampling, long createdAtMs, long deadlineAtMs) {
        this(v, jobId, requestId, tenantId, model, priority, messages, sampling, createdAtMs, deadlineAtMs, null, null, 1.0,
                null, null);
    }

    /** The sequences the job runs on an engine, one per choice: the slots it takes on a worker. */
    public int sequences() {
        return Math.max(1, options().n());
    }

    /** The same job with other generation options (one choice of a fan-out, say). */
    public InferenceJob withOptions(GenerationOptions other) {
        return new InferenceJob(v, jobId, requestId, tenantId, model, priority, messages, sampling, createdAtMs, deadlineAtMs,
                keyId, serviceClass, weight, other, provider);
    }

    /** The same job, to run only on workers of {@code other} ({@code local}, {@code cloud}; null: either). */
    public InferenceJob withProvider(String other) {
        return new InferenceJob(v, jobId, requestId, tenantId, model, priority, messages, sampling, createdAtMs, deadlineAtMs,
                keyId, serviceClass, weight, options, other);
    }

    /** The same job with other sampling parameters. */
    public InferenceJob withSampling(SamplingParams other) {
        return new InferenceJob(v, jobId, requestId, tenantId, model, priority, messages, other, createdAtMs, deadlineAtMs,
                keyId, serviceClass, weight, options, provider);
    }

    public boolean expiredAt(long nowMs) {
        return nowMs >= deadlineAtMs;
    }
}
