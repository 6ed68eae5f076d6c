package io.switchboard.schema.event;

/**
 * A worker's report that a job left its slot (finished, failed, cancelled, or handed back); written to the routers'
 * inbox ({@link io.switchboard.schema.wire.RedisKeys#ROUTER_INBOX}) so the router frees the slot and charges the
 * tenant's fair share with what the job really used.
 *
 * @param v                event version ({@link #VERSION})
 * @param jobId            the job
 * @param workerId         the worker whose slot it left
 * @param outcome          how it ended
 * @param completedAtMs    when it left the slot (epoch ms, the worker's clock)
 * @param promptTokens     prompt tokens as the model's tokenizer counted them; 0 when unknown (it never ran, or a v1 event)
 * @param completionTokens tokens generated, including those of a stream the client left; 0 for v1 events
 * @param failure          for {@code HANDED_BACK}, the engine's failure ({@link FailureCode#wire()}); null otherwise
 * @param message          for {@code HANDED_BACK}, what the engine said; null otherwise
 * @param job              for {@code HANDED_BACK}, the job itself (a router that took over adopted it from heartbeats
 *                         without its record): what it runs again from or ends; null otherwise
 */
public record JobCompletion(int v, String jobId, String workerId, Outcome outcome, long completedAtMs, int promptTokens,
        int completionTokens, String failure, String message, InferenceJob job) {

    /**
     * v2 added {@code promptTokens} and {@code completionTokens} (v1 events decode with 0 for both); v3 added
     * {@code HANDED_BACK} with {@code failure}, {@code message} and {@code job} (absent before). A router older than
     * v3 cannot read a hand-back: routers are upgraded before workers.
     */
    public static final int VERSION = 3;

    public enum Outcome {
        FINISHED, FAILED, CANCELLED,
        /**
         * A local engine failed before the job's first token, and the worker released the job's owner claim with its
         * stream still empty: the router may run it elsewhere (the cloud) or end it with {@code failure}.
         */
        HANDED_BACK
    }

    /** Decodes v1 and v2 events, which have no failure and no message. */
    public JobCompletion(int v, String jobId, String workerId, Outcome outcome, long completedAtMs, int promptTokens,
            int completionTokens) {
        this(v, jobId, workerId, outcome, completedAtMs, promptTokens, completionTokens, null, null, null);
    }

    public static JobCompletion of(String jobId, String workerId, Outcome outcome, long nowMs, int promptTokens,
            int completionTokens) {
        return new JobCompletion(VERSION, jobId, workerId, outcome, nowMs, promptTokens, completionTokens, null, null,
                null);
    }

    /** A completion that does not know the job's token counts (0 and 0). */
    public static JobCompletion of(String jobId, String workerId, Outcome outcome, long nowMs) {
        return of(jobId, workerId, outcome, nowMs, 0, 0);
    }

    /** The job was handed back after its engine failed with {@code failure} (a wire code) before the first token. */
    public static JobCompletion handedBack(InferenceJob job, String workerId, long nowMs, int promptTokens, String failure,
            String message) {
        return new JobCompletion(VERSION, job.jobId(), workerId, Outcome.HANDED_BACK, nowMs, promptTokens, 0, failure,
                message, job);
    }
}
