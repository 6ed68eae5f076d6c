package io.switchboard.router.admission;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.switchboard.router.Fixtures;

class JobQueueTest {

    @Test
    void lowerPriorityValueGoesFirstThenArrivalOrder() {
        JobQueue q = new JobQueue();
        q.add(Fixtures.job("late-normal", "m", 0), 0);
        q.add(Fixtures.job("urgent", "m", -5), 1);
        q.add(Fixtures.job("batch", "m", 10), 2);
        q.add(Fixtures.job("later-normal", "m", 0), 3);

        assertThat(q.inOrder()).extracting(w -> w.job().jobId())
                .containsExactly("urgent", "late-normal", "later-normal", "batch");
    }

    @Test
    void redeliveredJobIsQueuedOnce() {
        JobQueue q = new JobQueue();
        assertThat(q.add(Fixtures.job("a", "m", 0), 0)).isTrue();
        assertThat(q.add(Fixtures.job("a", "m", 0), 1)).isFalse();
        assertThat(q.size()).isEqualTo(1);
    }

    @Test
    void removedJobLeavesTheQueue() {
        JobQueue q = new JobQueue();
        q.add(Fixtures.job("a", "m", 0), 0);
        q.add(Fixtures.job("b", "m", 0), 0);
        assertThat(q.remove("a")).isTrue();
        assertThat(q.inOrder()).extracting(w -> w.job().jobId()).containsExactly("b");
        assertThat(q.remove("a")).isFalse();
    }
}
