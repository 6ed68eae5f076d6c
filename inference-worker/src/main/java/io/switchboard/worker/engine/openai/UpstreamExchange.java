package io.switchboard.worker.engine.openai;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.RequestOptions;

/**
 * One HTTP exchange with the upstream, read as a sequence of {@link Item}s: the status, then the body's lines, then
 * its end (or a transport failure). The reading thread waits for each item in short steps, so a cancel or a timeout
 * is seen within {@link #POLL} (or the step its caller gives) and aborts the exchange: the connection is closed and the
 * upstream stops generating.
 * <p>
 * The exchange runs on a Vert.x context (the event loop the job's stream writer sends on, when it has one): the
 * request is written from there and the answer read there, with no thread of the HTTP client's own between them.
 * A successful answer's lines may instead be pushed ({@link BodyLines}): read on that event loop as they arrive, with
 * only their end (and {@link Stopped}, when the lines' reader wants no more) queued for the waiting thread.
 */
final class UpstreamExchange implements AutoCloseable {
    /** How often a waiting reader looks at its cancel flag and its deadline. */
    static final Duration POLL = Duration.ofMillis(25);
    /**
     * How long a waiting reader sleeps between looks while a pushed answer's lines keep coming: their reader looks at
     * the cancel flag at every line ({@link StreamedAnswer}), so the job's thread need not wake 40 times a second.
     */
    static final Duration FLOWING_POLL = Duration.ofMillis(250);

    /** What the exchange produced next. */
    sealed interface Item {
    }

    /** The response status (always the first item of an answered request). */
    record Status(int code) implements Item {
    }

    /** One line of the body, without its line break. */
    record Line(String text) implements Item {
    }

    /** The body ended cleanly. */
    record End() implements Item {
    }

    /** The transport failed (refused, reset, a connect timeout). */
    record Failed(Throwable cause) implements Item {
    }

    /** Nothing came within the wait; the exchange is aborted. */
    record TimedOut() implements Item {
    }

    /** The job was cancelled while waiting; the exchange is aborted. */
    record Cancelled() implements Item {
    }

    /** The pushed lines' reader wants no more of them ({@link BodyLines#line} answered false). */
    record Stopped() implements Item {
    }

    /**
     * Reads a successful (2xx) answer's body lines on the thread that receives them, one at a time, in order; answers
     * false once it wants no more (the rest of the body is then dropped, and {@link Stopped} queued). Must not block.
     */
    interface BodyLines {
        boolean line(String line);
    }

    private final BlockingQueue<Item> items = new LinkedBlockingQueue<>();
    private volatile HttpClientRequest request;
    private volatile boolean aborted;
    private volatile boolean complete;
    /** The answer ended or failed (set on the exchange's context, where {@link #abort} reads it). */
    private boolean ended;
    /** Where a successful answer's lines go as they arrive; null: they are queued as {@link Line}s. */
    private final BodyLines pushed;
    /** Where the request is sent and its answer read. */
    private final Context context;

    private UpstreamExchange(BodyLines pushed, Context context) {
        this.pushed = pushed;
        this.context = context;
    }

    /**
     * Sends {@code body} as {@code request} from {@code context}, where the answer is read too; a 2xx answer's lines go to
     * {@code pushed} (when not null) instead of the queue.
     */
    static UpstreamExchange send(HttpClient client, RequestOptions request, byte[] body, BodyLines pushed,
            Context context) {
        UpstreamExchange exchange = new UpstreamExchange(pushed, context);
        context.runOnContext(v -> exchange.start(client, request, body));
        return exchange;
    }

    private void start(HttpClient client, RequestOptions options, byte[] body) {
        if (aborted) {
            return; // given up before it was sent
        }
        try {
            send(client, options, body);
        } catch (RuntimeException e) { // the client is closed (the worker stops): the job fails now, not at its deadline
            items.offer(new Failed(e));
        }
    }

    private void send(HttpClient client, RequestOptions options, byte[] body) {
        client.request(options).onComplete(sent -> {
            if (sent.failed()) {
                items.offer(new Failed(sent.cause()));
                return;
            }
            HttpClientRequest r = sent.result();
            request = r;
            if (aborted) {
                r.reset();
                return;
            }
            r.send(Buffer.buffer(body)).onComplete(answered -> {
                if (answered.failed()) {
                    items.offer(new Failed(answered.cause()));
                } else {
                    read(answered.result());
                }
            });
        });
    }

    /** How soon after its send a connection closed unanswered counts as stale (see {@link #staleConnection}). */
    static final Duration STALE_WITHIN = Duration.ofMillis(100);

    /**
     * Whether the exchange sent at {@code sentNanos} went out on a kept-alive connection the upstream had closed
     * (llama-server closes one after a few requests): it was closed (or reset) without a byte of answer, at once, so
     * the request was never read and may be sent again. A close that comes later may follow the upstream reading and
     * running it (a crash, a proxy's timeout): a POST is not sent twice then.
     */
    static boolean staleConnection(Item first, long sentNanos) {
        return first instanceof Failed failed
                && (failed.cause() instanceof HttpClosedException || failed.cause() instanceof java.io.IOException io
                        && String.valueOf(io.getMessage()).contains("reset"))
                && System.nanoTime() - sentNanos < STALE_WITHIN.toNanos();
    }

    /** Whether the exchange failed because its connection was not accepted in the client's connect timeout: nothing was sent. */
    static boolean connectTimedOut(Item first) {
        return first instanceof Failed failed && failed.cause() instanceof io.netty.channel.ConnectTimeoutException;
    }

    /** The next item, waiting at most {@code wait}; {@link TimedOut} or {@link Cancelled} abort the exchange. */
    Item next(Duration wait, BooleanSupplier cancelled) {
        long deadline = System.nanoTime() + wait.toNanos();
        return next(() -> deadline, cancelled);
    }

    /**
     * The next item, waiting until {@code deadlineNanos} ({@link System#nanoTime()}), asked again at every step: a
     * deadline that moves (the idle time after the last pushed line) is followed.
     */
    Item next(LongSupplier deadlineNanos, BooleanSupplier cancelled) {
        return next(deadlineNanos, cancelled, () -> POLL.toNanos());
    }

    /** {@link #next(LongSupplier, BooleanSupplier)}, sleeping {@code stepNanos} (asked at every step) between looks. */
    Item next(LongSupplier deadlineNanos, BooleanSupplier cancelled, LongSupplier stepNanos) {
        try {
            while (true) {
                if (cancelled.getAsBoolean()) {
                    abort();
                    return new Cancelled();
                }
                long left = deadlineNanos.getAsLong() - System.nanoTime();
                if (left <= 0) {
                    abort();
                    return new TimedOut();
                }
                Item item = items.poll(Math.min(left, stepNanos.getAsLong()), TimeUnit.NANOSECONDS);
                if (item instanceof End) {
                    complete = true;
                }
                if (item != null) {
                    return item;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort();
            return new Cancelled();
        }
    }

    /**
     * Closes the connection whatever state the exchange is in, unless its answer has ended: the connection is then back
     * in the pool, perhaps already another job's (a reset closes an HTTP/1.1 connection whatever it carries).
     */
    void abort() {
        aborted = true;
        HttpClientRequest r = request;
        if (r != null) {
            context.runOnContext(v -> {
                if (!ended) {
                    r.reset();
                }
            });
        }
    }

    /** After the answer's last event: waits briefly for the body's end, so the connection can be used again. */
    void finish() {
        next(Duration.ofMillis(100), () -> false);
    }

    /** Aborts an exchange whose body did not end; a complete one leaves its connection to the client's pool. */
    @Override
    public void close() {
        if (!complete) {
            abort();
        }
    }

    /** Queues the status, then reads the body where it arrives (this exchange's context), line by line. */
    private void read(HttpClientResponse response) {
        items.offer(new Status(response.statusCode()));
        BodyLines push = response.statusCode() / 100 == 2 ? pushed : null;
        Lines lines = new Lines(new Consumer<>() {
            /** Whether the pushed lines' reader still wants lines (lines come one at a time, on one thread). */
            private boolean wanted = true;

            @Override
            public void accept(String line) {
                if (push == null) {
                    items.offer(new Line(line));
                } else if (wanted && !push.line(line)) {
                    wanted = false;
                    items.offer(new Stopped());
                }
            }
        });
        response.handler(lines::feed);
        response.exceptionHandler(t -> {
            ended = true;
            items.offer(new Failed(t));
        });
        response.endHandler(v -> {
            ended = true;
            try {
                lines.end();
            } finally {
                items.offer(new End());
            }
        });
    }

    /**
     * Cuts a body into lines as its buffers arrive: a line ends at {@code \n}, {@code \r} or {@code \r\n} (as
     * server-sent events may), and is decoded as UTF-8 once whole (a line break is never a byte of a multi-byte
     * character, so a character split across buffers is joined first).
     */
    static final class Lines {
        private final Consumer<String> out;
        private byte[] line = new byte[256];
        private int length;
        /** The last byte was a {@code \r}: a {@code \n} right after it ends no other line. */
        private boolean afterCr;

        Lines(Consumer<String> out) {
            this.out = out;
        }

        void feed(Buffer buffer) {
            for (int i = 0, n = buffer.length(); i < n; i++) {
                byte b = buffer.getByte(i);
                if (b == '\n' && afterCr) {
                    afterCr = false;
                    continue;
                }
                afterCr = b == '\r';
                if (b == '\n' || b == '\r') {
                    emit();
                } else {
                    if (length == line.length) {
                        line = java.util.Arrays.copyOf(line, length * 2);
                    }
                    line[length++] = b;
                }
            }
        }

        /** The body ended: a last line without its break is still a line. */
        void end() {
            if (length > 0) {
                emit();
            }
        }

        private void emit() {
            String text = new String(line, 0, length, java.nio.charset.StandardCharsets.UTF_8);
            length = 0;
            out.accept(text);
        }
    }
}
