package io.switchboard.schema.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * What one job used: exactly one record per job that ends, however it ends (finished, failed, cancelled,
 * client gone mid-stream), published on {@link io.switchboard.schema.wire.Topics#USAGE} keyed by tenant id.
 * Billing systems consume this topic; the gateways consume it too, to reconcile the token reservations that
 * budgets and tokens-per-minute limits hold and to keep the aggregated usage views.
 * <p>
 * Written by whoever knows the real numbers: the worker that ran the job (also when the client has gone),
 * or the router for a job that never reached a worker or whose worker was lost. A per-job claim in Redis
 * ({@link io.switchboard.schema.wire.RedisKeys#usageClaim(String)}) makes the first writer the only one.
 *
 * @param v                   event version ({@link #VERSION})
 * @param jobId               the job (also the {@code id} of the OpenAI response)
 * @param requestId           the request's {@code x-request-id}
 * @param tenantId            the tenant billed
 * @param keyId               the id of the API key used (never the key itself); null if unknown
 * @param model               the model id the request named
 * @param engine              what produced the tokens: the engine kind ({@code llama}, {@code simulated}, ...) or
 *                            {@code none} when the job never ran
 * @param workerId            the worker that ran it; null when it never reached one
 * @param promptTokens        prompt tokens as the model's tokenizer counted them (0 if it never ran)
 * @param completionTokens    tokens generated, including those of a stream the client left
 * @param cachedTokens        prompt tokens served from the engine's prefix cache (0 where the engine does not say)
 * @param queueMs             from acceptance by the gateway to the start of generation (or to the end, if it
 *                            never started)
 * @param timeToFirstTokenMs  from acceptance to the first generated token; null if none was generated
 * @param durationMs          from acceptance to the end
 * @param finishReason        OpenAI's finish reason ({@code stop}, {@code length}) when it finished; else null
 * @param outcome             how it ended
 * @param detail              the failure code ({@link FailureCode#wire()}) or cancel reason, when there is one
 * @param createdAtMs         when the gateway accepted the request (epoch ms)
 * @param endedAtMs           when the job ended (epoch ms)
 */
public record UsageRecord(
        int v,
        String jobId,
        String requestId,
        String tenantId,
        String keyId,
        String model,
        String engine,
        String workerId,
        int promptTokens,
        int completionTokens,
        int cachedTokens,
        long queueMs,
        Long timeToFirstTokenMs,
        long durationMs,
        String finishReason,
        Outcome outcome,
        String detail,
        long createdAtMs,
        long endedAtMs) {

    public static final int VERSION = 1;

    /** How a job ended. */
    public enum Outcome {
        /** It ran to a finish reason. */
        FINISHED("finished"),
        /** It ended with an error (worker lost, no worker, queue timeout, engine failure, context too long). */
        FAILED("failed"),
        /** Nobody waited for it any more: the client went away, or the request reached its deadline. */
        CANCELLED("cancelled");

        private final String wire;

        Outcome(String wire) {
            this.wire = wire;
        }

        @JsonValue
        public String wire() {
            return wire;
        }

        @JsonCreator
        public static Outcome of(String wire) {
            for (Outcome o : values()) {
                if (o.wire.equals(wire)) {
                    return o;
                }
            }
            throw new IllegalArgumentException("unknown usage outcome '" + wire + "'");
        }
    }

    public int totalTokens() {
        return promptTokens + completionTokens;
    }

    /** The record of a job that ended without running on any worker (failed or cancelled in the router). */
    public static UsageRecord notRun(InferenceJob job, Outcome outcome, String detail, long endedAtMs) {
        long duration = Math.max(0, endedAtMs - job.createdAtMs());
        return new UsageRecord(VERSION, job.jobId(), job.requestId(), job.tenantId(), job.keyId(), job.model(), "none",
                null, 0, 0, 0, duration, null, duration, null, outcome, detail, job.createdAtMs(), endedAtMs);
    }
}
