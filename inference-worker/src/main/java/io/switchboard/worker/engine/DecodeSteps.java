package io.switchboard.worker.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * One thread that gives every running sequence of the {@link SimulatedEngine} its next token when it is due, as an
 * engine that batches its sequences (vLLM, llama.cpp's server) runs one decode step for all of them. Steps are
 * half a token time apart (at most 1 ms), and a token comes out at the first step at or after it is due, so the
 * worker pays one wake-up per step rather than one per token of each sequence (64 sequences at 2,000 tokens/s each
 * were 128,000 thread wake-ups a second, which took the cores a load test means to measure the platform with). Each
 * sequence keeps its own pace: its next token is due one token time after the last was due.
 *
 * <p>The thread that asked for the sequence waits for it to end, and checks {@code cancelled} every
 * {@value #CANCEL_CHECK_MS} ms meanwhile: a cancelled sequence takes its next step at once (and ends there), however
 * far off its next token was.
 */
final class DecodeSteps implements AutoCloseable {
    static final long CANCEL_CHECK_MS = 5;

    /** A sequence run by the steps. */
    interface Stepped {
        /** Produces the sequence's next token; false once it has ended (this step included). */
        boolean step();
    }

    private final long tokenNanos;
    private final long quantumNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final PriorityQueue<Running> due = new PriorityQueue<>(Comparator.comparingLong(r -> r.dueAt));
    private final Thread thread;
    private boolean closed;
    private final java.util.concurrent.atomic.AtomicLong steps = new java.util.concurrent.atomic.AtomicLong();

    DecodeSteps(String name, long tokenNanos) {
        this.tokenNanos = tokenNanos;
        this.quantumNanos = Math.max(1, Math.min(tokenNanos / 2, TimeUnit.MILLISECONDS.toNanos(1)));
        this.thread = Thread.ofPlatform().daemon().name(name).start(this::loop);
    }

    /**
     * Runs {@code sequence} until it ends, its first token due {@code firstInNanos} from now; returns once it has
     * ended. A step that throws ends the sequence and is thrown here.
     */
    void run(Stepped sequence, long firstInNanos, BooleanSupplier cancelled) {
        Running r = new Running(sequence, System.nanoTime() + firstInNanos);
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the simulated engine is closed");
            }
            due.add(r);
            if (due.peek() == r) {
                changed.signal();
            }
        } finally {
            lock.unlock();
        }
        boolean interrupted = false; // the sequence ends by itself or by cancellation, interrupted or not
        while (true) {
            try {
                if (r.ended.await(CANCEL_CHECK_MS, TimeUnit.MILLISECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
            if (cancelled.getAsBoolean()) {
                now(r); // again at the next check if it was being stepped just now
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (r.failure != null) {
            throw r.failure;
        }
    }

    /** {@code r}'s next step is due now (it was cancelled: the step ends it). */
    private void now(Running r) {
        lock.lock();
        try {
            if (due.remove(r)) {
                r.dueAt = System.nanoTime();
                due.add(r);
                changed.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Decode steps taken so far (each gave every sequence then due its next token). */
    long steps() {
        return steps.get();
    }

    /** The step a token due at {@code dueAt} comes out at: the first at or after it (never early). */
    private long step(long dueAt) {
        return Math.ceilDiv(dueAt, quantumNanos) * quantumNanos;
    }

    /** The steps' thread: should it die (it should not), every sequence in it ends with the error, and none is taken. */
    private void loop() {
        try {
            run();
        } catch (Throwable t) {
            IllegalStateException died = new IllegalStateException("the simulated engine's decode steps failed", t);
            lock.lock();
            try {
                closed = true;
                due.forEach(r -> r.end(died));
                due.clear();
            } finally {
                lock.unlock();
            }
            ready.forEach(r -> {
                if (r != null) {
                    r.end(died);
                }
            });
        }
    }

    /** Sequences being stepped now (only the steps' thread touches it). */
    private final List<Running> ready = new ArrayList<>();

    private void run() {
        while (true) {
            lock.lock();
            try {
                while (true) {
                    if (closed) {
                        due.forEach(r -> r.end(new IllegalStateException("the simulated engine is closed")));
                        due.clear();
                        return;
                    }
                    Running first = due.peek();
                    if (first == null) {
                        changed.awaitUninterruptibly();
                        continue;
                    }
                    long wait = step(first.dueAt) - System.nanoTime();
                    if (wait > 0) {
                        changed.awaitNanos(wait);
                        continue;
                    }
                    break;
                }
                steps.incrementAndGet();
                long now = System.nanoTime();
                while (!due.isEmpty() && step(due.peek().dueAt) <= now) {
                    ready.add(due.poll());
                }
            } catch (InterruptedException e) {
                continue; // only close() matters, and it is checked above
            } finally {
                lock.unlock();
            }
            for (int i = 0; i < ready.size(); i++) {
                Running r = ready.get(i);
                RuntimeException failure = null;
                boolean more;
                try {
                    more = r.sequence.step();
                } catch (RuntimeException | Error e) {
                    failure = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                    more = false;
                }
                if (more) {
                    r.dueAt += tokenNanos;
                } else {
                    ready.set(i, null);
                    r.end(failure);
                }
            }
            lock.lock();
            try {
                for (Running r : ready) {
                    if (r != null) {
                        due.add(r);
                    }
                }
            } finally {
                lock.unlock();
            }
            ready.clear();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    /** A sequence in the steps: when its next token is due, and whether (and how) it ended. */
    private static final class Running {
        final Stepped sequence;
        final CountDownLatch ended = new CountDownLatch(1);
        long dueAt;
        RuntimeException failure;

        Running(Stepped sequence, long dueAt) {
            this.sequence = sequence;
            this.dueAt = dueAt;
        }

        void end(RuntimeException failure) {
            this.failure = failure;
            ended.countDown();
        }
    }
}
