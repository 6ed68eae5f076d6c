package io.switchboard.worker.stream;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.worker.engine.InferenceEngine;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * Writes one job's token events to its Redis stream without ever blocking generation: one XADD is in
 * flight at a time (so entries keep their order), and what each choice produced meanwhile is coalesced into its next
 * delta (text and logprobs appended, tool-call fragments of one call joined); choices take turns, and a choice's end
 * follows its last delta. The terminal event goes last; then the stream gets its after-end TTL.
 * <p>
 * After the first write, rounds of writes (one per choice with something pending, back to back) start at least
 * {@code streamInterval} apart: deltas that come sooner wait, coalesced, for the interval's end (a timer on the stream
 * connection's event loop), so a fast engine's tokens go out a few at a time instead of one write each. The terminal
 * event is never held: it goes after what is pending as soon as the write in flight is answered.
 * <p>
 * The first event is written only while this worker still owns the job ({@link RedisKeys#jobOwner}, one script): a
 * worker that was taken for dead (frozen, cut off) and whose job went back in line and runs elsewhere finds its claim
 * gone, writes nothing, and stops ({@link #fenced()}). Once a job has sent something the router never moves it, so
 * later events need no check.
 * <p>
 * A write that fails through its retries breaks the stream ({@link #broken()}): what was pending is dropped (the client
 * must not get an answer with a hole in it), the generation should stop, and the terminal event, whatever it was to
 * be, becomes a {@code inference_failed} failure, tried again for longer ({@value #TERMINAL_RETRIES} times, backoff up
 * to a second): the client gets an error, not a stream that stays silent until its deadline.
 */
public final class JobStreamWriter implements InferenceEngine.EventSink {
    private static final Logger LOG = Logger.getLogger(JobStreamWriter.class);

    private final StreamConnections redis;
    private final String jobId;
    private final String key;
    private final long maxLen;
    private final Duration ttlWhileRunning;
    private final Duration ttlAfterEnd;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final String ownerKey;
    private final String owner;
    private final String provider;
    private final long intervalNanos;
    /**
     * A round writes what every choice had pending, one write per choice, back to back; rounds are at least the stream
     * interval apart: when the current round's first write was sent (System.nanoTime), whether writes of it remain,
     * and whether a timer will pump at the interval's end.
     */
    private long roundStartNanos;
    private boolean roundOpen;
    private boolean held;
    private volatile boolean fenced;
    private volatile boolean broken;
    /** Set once the failure that ends a broken stream is on its way: if it fails too, nothing more can be done. */
    private boolean endingBroken;
    /** How many times the failure that ends a broken stream is tried again (backoff up to a second: about 8.5 s). */
    static final int TERMINAL_RETRIES = 12;
    /** What a broken stream ends with. */
    private static final TokenEvent.Failure BROKEN_END = TokenEvent.Failure.of(FailureCode.INFERENCE_FAILED,
            "The answer could not be delivered: writing its stream failed.");

    /** KEYS: owner, stream. ARGV: this worker, event field, event, ttl ms, maxlen. */
    static final String WRITE_IF_OWNER = """
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then
              return 0
            end
            redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', ARGV[2], ARGV[3])
            redis.call('PEXPIRE', KEYS[2], ARGV[4])
            return 1
            """;

    /** Per choice, in the order they have something: the pending delta, then its end if it came. */
    private final java.util.LinkedHashMap<Integer, PendingChoice> pending = new java.util.LinkedHashMap<>();
    private TokenEvent terminal;
    private boolean inFlight;
    /** Whether nothing is in the stream yet: the next write is the owner-checked first one. */
    private boolean first = true;

    /**
     * @param owner    this worker's id, which must hold the job's owner claim for the first event to be written
     * @param provider which provider serves the job ({@code local}, {@code cloud}): the first event says so
     * @param streamInterval the shortest time between two rounds of writes after the first ({@link Duration#ZERO}: none)
     */
    public JobStreamWriter(StreamConnections redis, String jobId, String owner, String provider, long maxLen,
            Duration ttlWhileRunning, Duration ttlAfterEnd, Duration streamInterval) {
        this.provider = provider;
        this.intervalNanos = streamInterval.toNanos();
        this.redis = redis;
        this.owner = owner;
        this.ownerKey = RedisKeys.jobOwner(jobId);
        this.maxLen = maxLen;
        this.jobId = jobId;
        this.key = RedisKeys.jobStream(jobId);
        this.ttlWhileRunning = ttlWhileRunning;
        this.ttlAfterEnd = ttlAfterEnd;
    }

    /** The event loop of this job's stream connection, where its writes go out. */
    @Override
    public io.vertx.core.Context context() {
        return redis.context(key);
    }

    public synchronized void delta(String text) {
        delta(TokenEvent.Delta.of(text));
    }

    @Override
    public synchronized void delta(TokenEvent.Delta delta) {
        if (done.isDone() || broken || delta.empty()) {
            return;
        }
        pending.computeIfAbsent(delta.index(), PendingChoice::new).add(delta);
        pump();
    }

    /** Choice {@code index} ended; written after its pending delta. */
    @Override
    public synchronized void choiceEnd(int index, String finishReason) {
        if (done.isDone() || broken) {
            return;
        }
        pending.computeIfAbsent(index, PendingChoice::new).end = TokenEvent.ChoiceEnd.of(index, finishReason);
        pump();
    }

    /** Writes the terminal event after everything before it; the future completes once it is in Redis. */
    public synchronized CompletableFuture<Void> end(TokenEvent event) {
        terminal = event;
        pump();
        return done;
    }

    private synchronized void pump() {
        if (inFlight || done.isDone()) {
            return;
        }
        if (broken) {
            if (terminal != null) {
                writeTerminalOfBroken();
            }
            return;
        }
        if (holdsForInterval()) {
            return;
        }
        TokenEvent next;
        if (!pending.isEmpty()) {
            var it = pending.entrySet().iterator();
            PendingChoice choice = it.next().getValue();
            it.remove();
            next = choice.take();
            if (choice.end != null) {
                // its end goes right after this delta (or now, if no delta was pending)
                if (next == null) {
                    next = choice.end;
                } else {
                    PendingChoice rest = new PendingChoice(choice.index);
                    rest.end = choice.end;
                    pending.putLast(choice.index, rest);
                }
            }
            if (next == null) {
                pump();
                return;
            }
            if (!roundOpen) {
                roundStartNanos = System.nanoTime();
            }
            roundOpen = !pending.isEmpty();
        } else if (terminal != null) {
            next = terminal;
        } else {
            return;
        }
        write(next, RETRIES);
    }

    /**
     * Whether the pending deltas wait for the end of the stream interval (a timer pumps then): not the first write,
     * not within a round, not once the terminal event is known, and not when the interval is over.
     */
    private boolean holdsForInterval() {
        if (first || roundOpen || terminal != null || intervalNanos <= 0 || pending.isEmpty()) {
            return false; // a timer still armed finds the write done, or in flight, when it pumps
        }
        if (held) {
            return true;
        }
        long wait = roundStartNanos + intervalNanos - System.nanoTime();
        if (wait <= 0) {
            return false;
        }
        try {
            redis.holdForInterval(key, wait, () -> {
                synchronized (this) {
                    held = false;
                    pump();
                }
            });
        } catch (RuntimeException stopping) { // no timer (Vert.x is stopping): written now rather than never
            return false;
        }
        held = true;
        return true;
    }

    /** The stream broke: its end is a failure, whatever it was to be, tried for longer than a delta. */
    private void writeTerminalOfBroken() {
        terminal = null;
        endingBroken = true;
        write(BROKEN_END, TERMINAL_RETRIES);
    }

    private void write(TokenEvent next, int retries) {
        inFlight = true;
        boolean isTerminal = next.terminal();
        if (first) {
            next = switch (next) {
                case TokenEvent.Delta d -> d.servedBy(provider);
                case TokenEvent.Finish f -> f.servedBy(provider);
                default -> next;
            };
            Duration ttl = isTerminal ? ttlAfterEnd : ttlWhileRunning;
            Request firstWrite = Request.cmd(Command.EVAL).arg(WRITE_IF_OWNER).arg(2).arg(ownerKey).arg(key).arg(owner)
                    .arg(RedisKeys.EVENT_FIELD).arg(Json.write(next)).arg(ttl.toMillis()).arg(maxLen);
            sendRetried(new Request[] {firstWrite}, retries, 0, (r, t) -> {
                if (t != null) {
                    written(isTerminal, t);
                } else if (r != null && r.toInteger() == 0) {
                    fenceOff();
                } else {
                    synchronized (this) {
                        first = false;
                    }
                    written(isTerminal, null);
                }
            });
            return;
        }
        Request add = Request.cmd(Command.XADD).arg(key).arg("MAXLEN").arg("~").arg(maxLen).arg("*")
                .arg(RedisKeys.EVENT_FIELD).arg(Json.write(next));
        // the end goes with the stream's after-end expiry, pipelined right behind it
        Request[] commands = isTerminal
                ? new Request[] {add, Request.cmd(Command.PEXPIRE).arg(key).arg(ttlAfterEnd.toMillis())}
                : new Request[] {add};
        sendRetried(commands, retries, 0, (r, t) -> written(isTerminal, t));
    }

    /** This worker no longer owns the job: nothing more is written, and the generation should stop. */
    private void fenceOff() {
        LOG.warnf("job %s: this worker no longer owns it (it was taken back); its stream is left alone", jobId);
        synchronized (this) {
            fenced = true;
            inFlight = false;
            pending.clear();
            done.complete(null);
        }
    }

    /** A write failed through its retries: the rest of the answer is lost, so stop generating; the stream ends in a failure. */
    public boolean broken() {
        return broken;
    }

    /** How many times a delta is tried again (backoff 50 ms doubling up to a second: about 1.5 s in all). */
    static final int RETRIES = 5;

    /**
     * Sends the commands, pipelined on the job's stream connection; when one of them fails, all of them are sent again
     * after a backoff (50 ms doubling up to a second, give or take a half), at most {@code retries} times: a Redis blip
     * does not freeze or break a stream. {@code done} gets the first command's answer, or the last failure. Plain
     * callbacks, not a retrying Uni: a token write built a Mutiny retry pipeline each time, a third of the thread that
     * runs the job (profiled at one stream through llama-server).
     */
    private void sendRetried(Request[] commands, int retries, int attempt, StreamConnections.Answer done) {
        Attempt tried = new Attempt(commands, retries, attempt, done);
        for (Request command : commands) {
            redis.send(key, command, tried);
        }
    }

    /**
     * One try of a write: counts its commands' answers (each answered once, all on the job's connection's event loop,
     * so plain fields do), then settles it: done, or tried again after a backoff, or failed.
     */
    private final class Attempt implements StreamConnections.Answer {
        private final Request[] commands;
        private final int retries;
        private final int attempt;
        private final StreamConnections.Answer done;
        private int answered;
        private Response firstAnswer;
        private Throwable failure;

        Attempt(Request[] commands, int retries, int attempt, StreamConnections.Answer done) {
            this.commands = commands;
            this.retries = retries;
            this.attempt = attempt;
            this.done = done;
        }

        @Override
        public void accept(Response answer, Throwable failed) {
            if (failed != null) {
                failure = failure == null ? failed : failure;
            } else if (answered == 0) {
                firstAnswer = answer; // answers come in the order the commands were sent
            }
            if (++answered < commands.length) {
                return;
            }
            if (failure == null) {
                done.accept(firstAnswer, null);
                return;
            }
            if (attempt < retries) {
                try {
                    redis.later(key, TimeUnit.MILLISECONDS.toNanos(backoffMs(attempt)),
                            () -> sendRetried(commands, retries, attempt + 1, done));
                    return;
                } catch (RuntimeException stopping) { // no timer (Vert.x is stopping): the write fails now
                    failure.addSuppressed(stopping);
                }
            }
            done.accept(null, failure);
        }
    }

    /** The wait before try {@code attempt + 1}: 50 ms doubling, at most a second, with a jitter of a half either way. */
    static long backoffMs(int attempt) {
        long base = Math.min(1000, 50L << Math.min(attempt, 10));
        return base / 2 + ThreadLocalRandom.current().nextLong(base + 1);
    }

    /** Whether the job turned out to be owned by someone else: its generation should stop, nothing is written. */
    public boolean fenced() {
        return fenced;
    }

    private void written(boolean wasTerminal, Throwable failure) {
        synchronized (this) {
            inFlight = false;
            if (failure != null) {
                LOG.warnf("job %s: writing its token stream failed, retries spent: %s", jobId, failure.getMessage());
                if (endingBroken) {
                    // not even the failure that ends the broken stream could be written: Redis is out of reach
                    done.completeExceptionally(failure);
                    return;
                }
                broken = true;
                pending.clear();
                if (wasTerminal) {
                    // the end itself failed: the failure takes its place (pump writes it in place of this one)
                    terminal = BROKEN_END;
                }
            } else if (wasTerminal) {
                done.complete(null);
                return;
            }
        }
        pump();
    }

    /** What one choice produced since its last write. */
    private static final class PendingChoice {
        final int index;
        final StringBuilder text = new StringBuilder();
        final StringBuilder reasoning = new StringBuilder();
        final java.util.List<io.switchboard.schema.openai.TokenLogprob> logprobs = new java.util.ArrayList<>();
        final java.util.List<io.switchboard.schema.openai.ToolCall.Chunk> toolCalls = new java.util.ArrayList<>();
        TokenEvent.ChoiceEnd end;

        PendingChoice(int index) {
            this.index = index;
        }

        void add(TokenEvent.Delta d) {
            text.append(d.text());
            if (d.reasoning() != null) {
                reasoning.append(d.reasoning());
            }
            if (d.logprobs() != null) {
                logprobs.addAll(d.logprobs());
            }
            if (d.toolCalls() != null) {
                d.toolCalls().forEach(this::addToolCall);
            }
        }

        /** A fragment of the call already pending joins it; a new call (it has an id) starts its own piece. */
        private void addToolCall(io.switchboard.schema.openai.ToolCall.Chunk c) {
            if (!toolCalls.isEmpty() && c.id() == null) {
                var last = toolCalls.getLast();
                if (last.index() == c.index()) {
                    String args = (last.function() == null || last.function().arguments() == null ? ""
                            : last.function().arguments())
                            + (c.function() == null || c.function().arguments() == null ? "" : c.function().arguments());
                    toolCalls.set(toolCalls.size() - 1, new io.switchboard.schema.openai.ToolCall.Chunk(last.index(),
                            last.id(), last.type(), new io.switchboard.schema.openai.ToolCall.Function(
                                    last.function() == null ? null : last.function().name(), args)));
                    return;
                }
            }
            toolCalls.add(c);
        }

        /** The coalesced delta, or null when only an end is pending. */
        TokenEvent.Delta take() {
            TokenEvent.Delta d = new TokenEvent.Delta(TokenEvent.VERSION, text.toString(), index, logprobs, toolCalls,
                    reasoning.toString());
            return d.empty() ? null : d;
        }
    }
}
