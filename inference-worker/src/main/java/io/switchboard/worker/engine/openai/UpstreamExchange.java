package io.switchboard.worker.engine.openai;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * One HTTP exchange with the upstream, read as a sequence of {@link Item}s: the status, then the body's lines, then
 * its end (or a transport failure). The reading thread waits for each item in short steps, so a cancel or a timeout
 * is seen within {@link #POLL} (or the step its caller gives) and aborts the exchange: the connection is closed and the
 * upstream stops generating.
 * <p>
 * A successful answer's lines may instead be pushed ({@link BodyLines}): read on the client's own thread as they
 * arrive, with only their end (and {@link Stopped}, when the lines' reader wants no more) queued for the waiting thread.
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
    private volatile Flow.Subscription subscription;
    private volatile boolean aborted;
    private volatile boolean complete;
    private CompletableFuture<HttpResponse<Void>> response;
    /** Where a successful answer's lines go as they arrive; null: they are queued as {@link Line}s. */
    private final BodyLines pushed;

    private UpstreamExchange(BodyLines pushed) {
        this.pushed = pushed;
    }

    /** Sends {@code request}; a 2xx answer's lines go to {@code pushed} (when not null) instead of the queue. */
    static UpstreamExchange send(HttpClient client, HttpRequest request, BodyLines pushed) {
        UpstreamExchange exchange = new UpstreamExchange(pushed);
        exchange.response = client.sendAsync(request, exchange::handle);
        exchange.response.whenComplete((r, e) -> {
            if (e != null) {
                exchange.items.offer(new Failed(e instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                        ? c.getCause() : e));
            }
        });
        return exchange;
    }

    /** How soon after its send a connection closed unanswered counts as stale (see {@link #staleConnection}). */
    static final Duration STALE_WITHIN = Duration.ofMillis(100);

    /**
     * Whether the exchange sent at {@code sentNanos} went out on a kept-alive connection the upstream had closed
     * (llama-server closes one after a few requests): it was closed without a byte of answer, at once, so the request
     * was never read and may be sent again. A close that comes later may follow the upstream reading and running it (a
     * crash, a proxy's timeout): a POST is not sent twice then.
     */
    static boolean staleConnection(Item first, long sentNanos) {
        return first instanceof Failed failed && failed.cause() instanceof java.io.IOException io
                && io.getMessage() != null && io.getMessage().contains("header parser received no bytes")
                && System.nanoTime() - sentNanos < STALE_WITHIN.toNanos();
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

    /** Closes the connection whatever state the exchange is in. */
    void abort() {
        aborted = true;
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
        if (response != null) {
            response.cancel(true);
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

    private HttpResponse.BodySubscriber<Void> handle(HttpResponse.ResponseInfo info) {
        items.offer(new Status(info.statusCode()));
        BodyLines push = info.statusCode() / 100 == 2 ? pushed : null;
        return HttpResponse.BodySubscribers.fromLineSubscriber(new Flow.Subscriber<String>() {
            /** Whether the pushed lines' reader still wants lines (onNext calls come one at a time). */
            private boolean wanted = true;

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                if (aborted) {
                    s.cancel();
                } else {
                    s.request(Long.MAX_VALUE);
                }
            }

            @Override
            public void onNext(String line) {
                if (push == null) {
                    items.offer(new Line(line));
                } else if (wanted && !push.line(line)) {
                    wanted = false;
                    items.offer(new Stopped());
                }
            }

            @Override
            public void onError(Throwable t) {
                items.offer(new Failed(t));
            }

            @Override
            public void onComplete() {
                items.offer(new End());
            }
        });
    }
}
