package io.switchboard.gateway.stream;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.error.Errors;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServerResponse;

/**
 * Relays one job's stream to one HTTP answer, on the request's Vert.x context: reads a batch of entries, writes it,
 * and reads the next only when the client's write queue has room (a client that stops reading is not buffered
 * without bound; if its queue stays full past {@code slow-client-timeout} the stream ends with an in-band error and
 * the connection is closed, without cancelling the job, so the client can resume).
 *
 * <p>How the answer can end, and what happens to the job:
 * <ul>
 * <li>the terminal event came: once {@link Listener#finishing()} is done (or after {@link #FINISHING_WAIT_MS}), the
 * end is written;</li>
 * <li>a bad event, the deadline, or Redis failing after the retries: an error to the client and
 * {@link Listener#failed(String)} (the job is cancelled);</li>
 * <li>the client closes the connection: {@link Listener#clientClosed(boolean)} (cancelled at once);</li>
 * <li>the connection breaks, the client stops reading, or the gateway drains: nothing is cancelled; the reader key
 * lapses after the resume grace, and a worker cancels the job then unless a client resumed it.</li>
 * </ul>
 *
 * <p>Closed or broken (what Vert.x lets us tell apart): a FIN from the client reaches the response's close handler
 * alone (its exception handler gets only an {@link HttpClosedException}); a reset read from the socket, or a write
 * that failed, reaches the exception handler (or the write's future) as an {@link IOException} first, whose message
 * names the cause ({@code Connection reset by peer}, {@code Broken pipe}, {@code Connection timed out}, ...). Which
 * one a RST gives depends on who meets it first: a write gets {@code Connection reset by peer} or {@code Broken pipe};
 * a read gets {@code Connection reset} from the JDK's NIO socket ({@code SocketException}; {@code readAddress(..)
 * failed: Connection reset by peer} from the native transport). Both are the same RST: both must cancel. A RST
 * cannot mean "broken": closing a socket that still has unread bytes, which is what an SDK's abort does mid-stream
 * while tokens keep arriving, makes the client's kernel send a RST rather than a FIN. So the rule, {@link #brokenBy}:
 * <b>whatever the client's host did to end the connection (FIN, RST, so a reset or broken pipe on read or write) is
 * deliberate, and cancels the job at once; a connection that failed without the peer's say (the network: a timed-out
 * or unreachable connection; a client that stopped reading; the gateway draining or dying) is broken, and leaves the
 * job to the resume grace.</b>
 */
public final class StreamRelay {
    private static final Logger LOG = Logger.getLogger(StreamRelay.class);
    /** The longest the end of an answer waits for {@link Listener#finishing()}. */
    static final long FINISHING_WAIT_MS = 500;

    /** What the relay tells the owner of the request about the job. */
    public interface Listener {
        /** What {@link #finishing()} answers when nothing must happen first: the end is written at once. */
        Uni<Void> NOTHING = Uni.createFrom().voidItem();

        /**
         * The terminal event came: what must happen before the client sees the end (the job stops counting as a
         * concurrent request, so the client's next request, sent on reading the end, finds the slot free). The end is
         * written once it completes or fails, or after {@link #FINISHING_WAIT_MS} at the latest; {@link #NOTHING}
         * when there is nothing to wait for.
         */
        Uni<Void> finishing();

        /** The gateway gave up on the job ({@code bad_event}, {@code timeout}, {@code stream_error}): cancel it. */
        void failed(String reason);

        /** The client closed the connection before the end; {@code produced}: whether any event had come by then. */
        void clientClosed(boolean produced);
    }

    private final StreamRelays relays;
    private final Context context;
    private final HttpServerResponse response;
    private final ResponseWriter writer;
    private final String jobId;
    private final long deadlineMs;
    private final boolean streaming;
    private final ReaderLeases.Lease lease;
    private final Listener listener;
    private String cursor;
    private boolean produced;
    private boolean over;
    private Throwable connectionFailure;
    private long slowTimer = -1;
    /** The read waiting for the stream's next entries, cancelled if the answer ends first (it stops the wait). */
    private Cancellable pending;
    /** Set when the terminal event came: completes once the end is written. */
    private Future<Void> ending;

    StreamRelay(StreamRelays relays, Context context, HttpServerResponse response, ResponseWriter writer, String jobId,
            String after, long deadlineMs, boolean streaming, ReaderLeases.Lease lease, Listener listener) {
        this.relays = relays;
        this.context = context;
        this.response = response;
        this.writer = writer;
        this.jobId = jobId;
        this.cursor = after;
        this.deadlineMs = deadlineMs;
        this.streaming = streaming;
        this.lease = lease;
        this.listener = listener;
    }

    void start() {
        response.exceptionHandler(this::noteFailure);
        response.closeHandler(v -> closed());
        if (response.closed()) { // the client left while the job was being published
            closed();
            return;
        }
        read();
    }

    private void read() {
        if (over) {
            return;
        }
        if (Vertx.currentContext() != context) { // the reader answers on the context it is asked from: ask from ours
            context.runOnContext(v -> read());
            return;
        }
        pending = relays.reader().next(jobId, cursor, deadlineMs).subscribe().with(this::relay, this::readFailed);
    }

    private void relay(List<StreamedEvent> events) {
        pending = null;
        if (over) {
            return;
        }
        Buffer out = streaming ? Buffer.buffer() : null; // the read's events leave in one write
        for (StreamedEvent e : events) {
            if (!writer.fits(e.event())) {
                flush(out);
                readFailed(new BadEventException(jobId, e.id(), "undecodable", "a choice index beyond the request's n"));
                return;
            }
            cursor = e.id();
            produced = true;
            if (e.event().terminal()) {
                finish(e, out);
                return;
            }
            if (streaming) {
                writer.append(e, out);
            } else {
                writer.collect(e);
            }
        }
        flush(out);
        if (streaming && response.writeQueueFull()) {
            pause();
        } else {
            read();
        }
    }

    private void flush(Buffer out) {
        if (out != null) {
            watch(writer.write(out));
        }
    }

    /**
     * The job ended: no more reads, and a client leaving now cancels nothing; the end is written (and the relay ends)
     * once the listener is done with it. A drain meanwhile waits for that end instead of writing its own.
     */
    private void finish(StreamedEvent last, Buffer gathered) {
        over = true;
        cancelSlowTimer();
        Uni<Void> first;
        try {
            first = listener.finishing();
        } catch (RuntimeException e) {
            LOG.warnf("job %s: finishing its answer failed (%s); ending it all the same", jobId, e.toString());
            first = Listener.NOTHING;
        }
        if (first == Listener.NOTHING) {
            ending = writeEnd(last, gathered);
            return;
        }
        flush(gathered); // what came before the end leaves now; the end waits for the listener
        Promise<Void> written = Promise.promise();
        ending = written.future();
        first.ifNoItem().after(Duration.ofMillis(FINISHING_WAIT_MS)).recoverWithItem((Void) null)
                .onFailure().recoverWithNull()
                .subscribe().with(v -> context.runOnContext(x -> writeEnd(last, null).onComplete(written)));
    }

    /**
     * Writes the end (after {@code before}, the events of its read that came before it, when not yet written) and
     * ends the relay; completes once the end is written (or could not be).
     */
    private Future<Void> writeEnd(StreamedEvent last, Buffer before) {
        Future<Void> write;
        if (streaming) {
            write = writer.end(last, before == null ? Buffer.buffer() : before);
            watch(write);
        } else {
            writer.collect(last);
            write = null;
        }
        end();
        return write == null ? Future.succeededFuture() : write.otherwiseEmpty();
    }

    /** The client's write queue is full: read no more until it drains, and not longer than the slow-client timeout. */
    private void pause() {
        response.drainHandler(v -> {
            response.drainHandler(null);
            cancelSlowTimer();
            read();
        });
        slowTimer = relays.vertx().setTimer(relays.slowClientTimeoutMs(), id -> slowClient());
    }

    private void slowClient() {
        slowTimer = -1;
        if (over) {
            return;
        }
        LOG.infof("job %s: the client read nothing for %d ms; ending its stream (resumable)", jobId,
                relays.slowClientTimeoutMs());
        end();
        relays.metrics().slowClientEnded();
        writer.fail(ApiException.unavailable("slow_client",
                "The client did not read the stream in time; resume it with Last-Event-ID."));
        response.close(); // what is queued would never be read: release the connection and its buffers
    }

    private void readFailed(Throwable t) {
        pending = null;
        if (over) {
            return;
        }
        end();
        ApiException error;
        String reason;
        if (t instanceof BadEventException bad) {
            LOG.warnf("%s; ending the request and cancelling the job", bad.getMessage());
            relays.metrics().badEvent(bad.kind());
            reason = "bad_event";
            error = new ApiException(500, "server_error", null, "bad_job_event",
                    "The request failed: the service produced an answer the gateway could not read.");
        } else if (t instanceof TimeoutException) {
            reason = "timeout";
            error = Errors.from(t);
        } else {
            LOG.warnf("job %s: reading its stream failed after retries: %s", jobId, t.toString());
            reason = "stream_error";
            error = Errors.from(t);
        }
        listener.failed(reason);
        writer.fail(error);
    }

    private void closed() {
        if (over) {
            return;
        }
        end();
        if (connectionFailure != null) {
            LOG.debugf("job %s: connection broke (%s); not cancelled, resumable within the grace", jobId,
                    connectionFailure);
            relays.metrics().disconnect("broken");
        } else {
            relays.metrics().disconnect("closed");
            listener.clientClosed(produced);
        }
    }

    /**
     * Shutdown: ends what is left of the answer with an in-band error; the job goes on, resumable on another replica.
     * Completes once that end is written (or could not be).
     */
    Future<Void> drain() {
        if (ending != null) {
            return ending;
        }
        if (over) {
            return Future.succeededFuture();
        }
        end();
        Future<Void> written = writer.fail(ApiException.unavailable("shutting_down",
                "This gateway is shutting down; resume the stream with Last-Event-ID on another replica.")
                .withRetryAfter(1000));
        return written == null ? Future.succeededFuture() : written.otherwiseEmpty();
    }

    private void watch(Future<Void> write) {
        if (write != null) {
            write.onFailure(this::noteFailure);
        }
    }

    private void noteFailure(Throwable t) {
        if (connectionFailure == null && brokenBy(t)) {
            connectionFailure = t;
        }
    }

    /**
     * Whether a connection error means the connection broke without the client's say: an I/O error that is not the
     * peer's own FIN or RST ({@code Connection reset}, on read or write, with or without {@code by peer};
     * {@code Broken pipe}) nor a write to a connection already closed.
     */
    static boolean brokenBy(Throwable t) {
        if (!(t instanceof IOException) || t instanceof ClosedChannelException) {
            return false;
        }
        String message = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
        return !message.contains("connection reset") && !message.contains("broken pipe");
    }

    private void end() {
        over = true;
        cancelSlowTimer();
        if (pending != null) {
            pending.cancel();
            pending = null;
        }
        lease.release();
        relays.ended(this);
    }

    private void cancelSlowTimer() {
        if (slowTimer >= 0) {
            relays.vertx().cancelTimer(slowTimer);
            slowTimer = -1;
        }
    }

    Context context() {
        return context;
    }
}
