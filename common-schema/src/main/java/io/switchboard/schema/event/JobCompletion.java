package io.switchboard.schema.event;

/**
 * A worker's report that a job left its slot (finished, failed or cancelled); published on
 * {@link io.switchboard.schema.wire.Topics#COMPLETIONS} so the router frees the slot and charges the tenant's fair
 * share with what the job really used.
 *
 * @param v                event version ({@link #VERSION})
 * @param jobId            the job
 * @param workerId         the worker whose slot it left
 * @param outcome          how it ended
 * @param completedAtMs    when it left the slot (epoch ms, the worker's clock)
 * @param promptTokens     prompt tokens as the model's tokenizer counted them; 0 when unknown (it never ran, or a v1 event)
 * @param completionTokens tokens generated, including those of a stream the client left; 0 for v1 events
 */
public record JobCompletion(int v, String jobId, String workerId, Outcome outcome, long completedAtMs, int promptTokens,
        int completionTokens) {

    /** v2 added {@code promptTokens} and {@code completionTokens}; v1 events decode with 0 for both. */
    public static final int VERSION = 2;

    public enum Outcome {
        FINISHED, FAILED, CANCELLED
    }

    public static JobCompletion of(String jobId, String workerId, Outcome outcome, long nowMs, int promptTokens,
            int completionTokens) {
        return new JobCompletion(VERSION, jobId, workerId, outcome, nowMs, promptTokens, completionTokens);
    }

    /** A completion that does not know the job's token counts (0 and 0). */
    public static JobCompletion of(String jobId, String workerId, Outcome outcome, long nowMs) {
        return of(jobId, workerId, outcome, nowMs, 0, 0);
    }
}
