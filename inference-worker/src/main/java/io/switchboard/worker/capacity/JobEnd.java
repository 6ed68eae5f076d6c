package io.switchboard.worker.capacity;

import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.event.UsageRecord.Outcome;

/**
 * How one job left its slot, with the numbers the engine reported: what the completion and the usage record are
 * built from. Times are epoch ms of this worker's clock; {@code startedAtMs} is null when the job never reached
 * the engine, {@code firstTokenAtMs} when no text was produced.
 *
 * @param detail       the failure code ({@code FailureCode.wire()}) or the cancel reason; null when it finished
 * @param finishReason OpenAI's finish reason when it finished; else null
 * @param message      for a failure, what the engine said (null otherwise)
 * @param handedBack   the job failed before its first token and was given back unanswered (see
 *                     {@link JobCompletion.Outcome#HANDED_BACK}): it has no usage of its own
 */
record JobEnd(InferenceJob job, Outcome outcome, String detail, String finishReason, int promptTokens,
        int completionTokens, Long startedAtMs, Long firstTokenAtMs, long endedAtMs, String message, boolean handedBack) {

    JobEnd(InferenceJob job, Outcome outcome, String detail, String finishReason, int promptTokens, int completionTokens,
            Long startedAtMs, Long firstTokenAtMs, long endedAtMs) {
        this(job, outcome, detail, finishReason, promptTokens, completionTokens, startedAtMs, firstTokenAtMs, endedAtMs,
                null, false);
    }

    /** This failed job, given back unanswered. */
    JobEnd handedBackNow() {
        return new JobEnd(job, outcome, detail, finishReason, promptTokens, completionTokens, startedAtMs, firstTokenAtMs,
                endedAtMs, message, true);
    }

    /** A job that ended without running: skipped (cancelled or expired before its turn) or refused while draining. */
    static JobEnd notRun(InferenceJob job, Outcome outcome, String detail, long endedAtMs) {
        return new JobEnd(job, outcome, detail, null, 0, 0, null, null, endedAtMs);
    }

    /** The detail of a job this worker turned out not to own any more (taken back; it runs elsewhere). */
    static final String TAKEN_BACK = "taken_back";

    /** A job taken back from this worker, or handed back: its usage is the other run's to report, not this one's. */
    boolean takenBack() {
        return handedBack || TAKEN_BACK.equals(detail);
    }

    JobCompletion.Outcome completionOutcome() {
        return handedBack ? JobCompletion.Outcome.HANDED_BACK : JobCompletion.Outcome.valueOf(outcome.name());
    }

    /** What the routers are told: the job left its slot ({@code workerId}'s) at {@code nowMs}, and how. */
    JobCompletion completion(String workerId, long nowMs) {
        return handedBack ? JobCompletion.handedBack(job, workerId, nowMs, promptTokens, detail, message)
                : JobCompletion.of(job.jobId(), workerId, completionOutcome(), nowMs, promptTokens, completionTokens);
    }

    /** The job's usage record, as this worker ({@code workerId}, engine {@code engineKind}) saw it. */
    UsageRecord usage(String workerId, String engineKind) {
        long created = job.createdAtMs();
        long queueMs = Math.max(0, (startedAtMs != null ? startedAtMs : endedAtMs) - created);
        Long ttft = firstTokenAtMs == null ? null : Math.max(0, firstTokenAtMs - created);
        return new UsageRecord(UsageRecord.VERSION, job.jobId(), job.requestId(), job.tenantId(), job.keyId(), job.model(),
                startedAtMs == null ? "none" : engineKind, workerId, promptTokens, completionTokens, 0, queueMs, ttft,
                Math.max(0, endedAtMs - created), finishReason, outcome, detail, created, endedAtMs);
    }
}
