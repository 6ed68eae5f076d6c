package io.switchboard.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DecodeStepsTest {
    /** 1,000 tokens a second per sequence: a step every 0.5 ms. */
    final DecodeSteps steps = new DecodeSteps("decode-test", TimeUnit.MILLISECONDS.toNanos(1));

    @AfterEach
    void close() {
        steps.close();
    }

    /** A sequence of {@code tokens} tokens that notes which thread gave it each. */
    record Counting(int tokens, AtomicInteger given, Set<String> threads) implements DecodeSteps.Stepped {
        Counting(int tokens) {
            this(tokens, new AtomicInteger(), ConcurrentHashMap.newKeySet());
        }

        @Override
        public boolean step() {
            threads.add(Thread.currentThread().getName());
            return given.incrementAndGet() < tokens;
        }
    }

    @Test
    void manySequencesAtOnceGetTheirTokensInSharedStepsOnOneThread() throws Exception {
        int sequences = 50, tokens = 40;
        List<Counting> all = new ArrayList<>();
        List<Thread> waiting = new ArrayList<>();
        long before = steps.steps();
        long t0 = System.nanoTime();
        for (int i = 0; i < sequences; i++) {
            Counting c = new Counting(tokens);
            all.add(c);
            waiting.add(Thread.ofVirtual().start(() -> steps.run(c, 0, () -> false)));
        }
        for (Thread t : waiting) {
            t.join(Duration.ofSeconds(10));
        }
        long elapsed = System.nanoTime() - t0;

        assertThat(all).allSatisfy(c -> {
            assertThat(c.given()).hasValue(tokens);
            assertThat(c.threads()).containsExactly("decode-test");
        });
        // 2,000 tokens came out in about 40 steps of all 50 sequences, not one step per token
        assertThat(steps.steps() - before).isLessThan(sequences * tokens / 4);
        // the pace holds: 40 tokens at 1,000 a second take at least 39 ms
        assertThat(Duration.ofNanos(elapsed)).isGreaterThanOrEqualTo(Duration.ofMillis(39));
    }

    @Test
    @org.junit.jupiter.api.Timeout(10)
    void aCancelledSequenceWhoseNextTokenIsFarOffEndsWithinAFewMilliseconds() {
        DecodeSteps slow = new DecodeSteps("decode-slow", TimeUnit.SECONDS.toNanos(1000));
        try {
            AtomicBoolean cancelled = new AtomicBoolean();
            AtomicInteger given = new AtomicInteger();
            DecodeSteps.Stepped seq = () -> {
                if (cancelled.get()) {
                    return false;
                }
                given.incrementAndGet();
                return true;
            };
            Thread.ofVirtual().start(() -> {
                while (given.get() < 1) {
                    Thread.onSpinWait();
                }
                cancelled.set(true);
            });
            long t0 = System.nanoTime();
            slow.run(seq, 0, cancelled::get);

            assertThat(given).hasValue(1); // the first token, then the cancel: no second token 1,000 s later
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
        } finally {
            slow.close();
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(20)
    void sequencesWhoseNextTokenIsFarOffWaitForItWhileOthersJoin() throws Exception {
        DecodeSteps slow = new DecodeSteps("decode-far", TimeUnit.SECONDS.toNanos(1000));
        try {
            List<Counting> all = new ArrayList<>();
            List<Thread> waiting = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                Counting c = new Counting(2);
                all.add(c);
                waiting.add(Thread.ofVirtual().start(() -> slow.run(c, 0, () -> false)));
                Thread.sleep(5);
            }
            Thread.sleep(500);
            assertThat(all).allSatisfy(c -> assertThat(c.given()).hasValue(1)); // the first token each, not the second
            assertThat(waiting).allSatisfy(t -> assertThat(t.isAlive()).isTrue());
        } finally {
            slow.close();
        }
    }

    @Test
    void aStepThatThrowsEndsItsSequenceAndIsThrownToTheCaller() {
        DecodeSteps.Stepped failing = () -> {
            throw new EngineException(io.switchboard.schema.event.FailureCode.INFERENCE_FAILED, "boom", null);
        };
        assertThatThrownBy(() -> steps.run(failing, 0, () -> false)).isInstanceOf(EngineException.class)
                .hasMessageContaining("boom");
        Counting after = new Counting(3); // the steps go on for the others
        steps.run(after, 0, () -> false);
        assertThat(after.given()).hasValue(3);
    }

    @Test
    void closingEndsTheSequencesStillRunningWithAnError() throws Exception {
        Counting endless = new Counting(Integer.MAX_VALUE);
        AtomicBoolean failed = new AtomicBoolean();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                steps.run(endless, 0, () -> false);
            } catch (IllegalStateException e) {
                failed.set(true);
            }
        });
        while (endless.given().get() < 3) {
            Thread.sleep(1);
        }
        steps.close();
        waiter.join(Duration.ofSeconds(5));
        assertThat(failed).isTrue();
    }
}
