package io.switchboard.worker.engine.openai;

import java.util.function.BooleanSupplier;

import io.switchboard.worker.engine.InferenceEngine.Generation;

/**
 * An upstream's streamed answer, read line by line on the thread that reads the connection (the HTTP client's own):
 * each server-sent event is joined, parsed, checked and handed to the sink right there, so a token costs no hand-over
 * to the job's thread (waking it cost more CPU than the token's own work). The job's thread only waits for the end:
 * {@code [DONE]}, the body's end, a transport failure, a timeout or a cancel. Once it takes the answer over
 * ({@link #stop}), lines still arriving are dropped: the translator is never touched by two threads at once.
 * <p>A cancel (the job's flag: a cancel, its deadline, its stream writer fenced or broken) is seen at the next line,
 * before that line's piece reaches the sink: the lines stop ({@link #stoppedByCancel}), and the job's thread, woken,
 * closes the connection. While lines keep coming, that thread only looks every {@link UpstreamExchange#FLOWING_POLL}
 * ({@link #pollNanos}); a cancel while the upstream is silent is seen by it within that.
 */
final class StreamedAnswer implements UpstreamExchange.BodyLines {
    private final ChunkTranslator chunks;
    private final BooleanSupplier cancelled;
    private final SseEvents sse = new SseEvents();
    /** When the last line came (any line: a comment keeps an answer alive as much as a token does). */
    private volatile long lastLineNanos;
    private volatile boolean gotData;
    /** Guarded by this: no more lines are read ([DONE], a broken chunk, or the job's thread took over). */
    private boolean stopped;
    private boolean done;
    private RuntimeException failure;
    private volatile boolean stoppedByCancel;

    StreamedAnswer(ChunkTranslator chunks, BooleanSupplier cancelled) {
        this.chunks = chunks;
        this.cancelled = cancelled;
    }

    /** Reads one line of the body; false once no more are wanted ({@code [DONE]} came, or a chunk broke the answer). */
    @Override
    public synchronized boolean line(String line) {
        if (stopped) {
            return false;
        }
        if (cancelled.getAsBoolean()) {
            stopped = true;
            stoppedByCancel = true;
            return false;
        }
        lastLineNanos = System.nanoTime();
        String data = sse.line(line);
        return data == null || data(data);
    }

    private boolean data(String data) {
        if ("[DONE]".equals(data.strip())) {
            done = true;
            stopped = true;
            return false;
        }
        try {
            chunks.accept(OpenAiEngine.parse(data, chunks));
            gotData = true;
            return true;
        } catch (RuntimeException e) {
            failure = e;
            stopped = true;
            return false;
        }
    }

    /**
     * Until when the job's thread waits for more: the first token's deadline until a chunk came, then the idle timeout
     * after the last line.
     */
    long deadlineNanos(long firstDeadlineNanos, long idleNanos) {
        return gotData ? lastLineNanos + idleNanos : firstDeadlineNanos;
    }

    /**
     * How long the job's thread sleeps before it looks again: {@link UpstreamExchange#FLOWING_POLL} while lines came
     * within the last {@link UpstreamExchange#POLL} (each is a look at the cancel flag), else {@link UpstreamExchange#POLL}.
     */
    long pollNanos() {
        long poll = UpstreamExchange.POLL.toNanos();
        return gotData && System.nanoTime() - lastLineNanos < poll ? UpstreamExchange.FLOWING_POLL.toNanos() : poll;
    }

    /** Whether the lines stopped because the job was cancelled (seen at a line, before its piece reached the sink). */
    boolean stoppedByCancel() {
        return stoppedByCancel;
    }

    /** The lines stopped being wanted: how the answer ended ({@code [DONE]}), or the failure a chunk raised. */
    synchronized Generation result() {
        if (failure != null) {
            throw failure;
        }
        return chunks.finish();
    }

    /** The body ended: its last event may lack its blank line; with no {@code [DONE]} the answer is cut short. */
    synchronized Generation ended() {
        if (!stopped) {
            String data = sse.flush();
            if (data != null) {
                data(data);
            }
            stopped = true;
        }
        if (failure != null) {
            throw failure;
        }
        if (!done) {
            throw UpstreamFailures.badOutput("the stream ended without [DONE]", chunks.promptTokensSoFar(),
                    chunks.completionTokensSoFar());
        }
        return chunks.finish();
    }

    /** The job's thread takes the answer over (a cancel, a timeout, a broken connection): lines are dropped from now. */
    synchronized void stop() {
        stopped = true;
    }
}
