package io.switchboard.schema.event;

/** Why a job failed, with the HTTP status and OpenAI error type the gateway reports it as. */
public enum FailureCode {
    /** No live worker serves the model, and none appeared within the router's wait. */
    NO_WORKER_AVAILABLE("no_worker_available", 503, "service_unavailable_error"),
    /** The worker running the job stopped heartbeating. */
    WORKER_LOST("worker_lost", 503, "service_unavailable_error"),
    /** The worker was stopped (SIGTERM, scale-down) while it held the job. */
    WORKER_SHUTTING_DOWN("worker_shutting_down", 503, "service_unavailable_error"),
    /** The job waited past its deadline in the router's queue. */
    QUEUE_TIMEOUT("queue_timeout", 503, "service_unavailable_error"),
    /** The tenant already has the most jobs the router queues for one tenant; refused on arrival (type as the gateway's 429s). */
    TENANT_QUEUE_FULL("tenant_queue_full", 429, "requests"),
    /** The model's queue was over its bound and the router shed the job (batch first, then standard, critical last). */
    OVERLOADED("overloaded", 503, "service_unavailable_error"),
    /** The router predicted the job would wait in its queue past its deadline, so refused it on arrival. */
    DEADLINE_UNREACHABLE("deadline_unreachable", 503, "service_unavailable_error"),
    /** The job reached its deadline while generating; the worker stopped it there. */
    REQUEST_TIMEOUT("request_timeout", 504, "timeout_error"),
    /** The engine raised an error while generating. */
    INFERENCE_FAILED("inference_failed", 500, "server_error"),
    /** The prompt does not fit the model's context. */
    CONTEXT_LENGTH_EXCEEDED("context_length_exceeded", 400, "invalid_request_error"),
    /** The worker's engine cannot be reached or is restarting (refused connection, child process died). */
    ENGINE_UNAVAILABLE("engine_unavailable", 503, "service_unavailable_error"),
    /** The engine (or the cloud provider behind it) answered that it is busy (HTTP 429 or 503). */
    ENGINE_OVERLOADED("engine_overloaded", 503, "service_unavailable_error"),
    /** The engine did not answer, or stopped answering, within the worker's upstream timeout. */
    ENGINE_TIMEOUT("engine_timeout", 504, "timeout_error"),
    /** The engine answered with something that is not a valid OpenAI response (broken JSON, missing fields). */
    BAD_ENGINE_OUTPUT("bad_engine_output", 502, "server_error"),
    /** The engine refused the request as invalid (HTTP 400/422) although the gateway had accepted it. */
    ENGINE_REJECTED_REQUEST("engine_rejected_request", 400, "invalid_request_error"),
    /** A cloud provider failed the request (seed 000's {@code CLOUD_REQUEST_FAILED}). */
    CLOUD_REQUEST_FAILED("CLOUD_REQUEST_FAILED", 502, "server_error");

    private final String wire;
    private final int status;
    private final String errorType;

    FailureCode(String wire, int status, String errorType) {
        this.wire = wire;
        this.status = status;
        this.errorType = errorType;
    }

    public String wire() {
        return wire;
    }

    public int status() {
        return status;
    }

    public String errorType() {
        return errorType;
    }

    /** The code of a wire code; {@code fallback} for codes this version does not know (or null). */
    public static FailureCode ofWire(String wireCode, FailureCode fallback) {
        for (FailureCode c : values()) {
            if (c.wire.equals(wireCode)) {
                return c;
            }
        }
        return fallback;
    }

    /** The OpenAI error type for a wire code; {@code server_error} for codes this version does not know. */
    public static String errorTypeOf(String wireCode) {
        for (FailureCode c : values()) {
            if (c.wire.equals(wireCode)) {
                return c.errorType;
            }
        }
        return "server_error";
    }
}
