package io.switchboard.router.admission;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.switchboard.router.Fixtures;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.ServiceClass;

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
    void bandsAreStrictWhateverThePriority() {
        JobQueue q = new JobQueue();
        q.add(Fixtures.job("batch-eager", "m", ServiceClass.BATCH, -100), 0);
        q.add(Fixtures.job("standard-lax", "m", ServiceClass.STANDARD, 100), 1);

        assertThat(q.inOrder()).extracting(w -> w.job().jobId()).containsExactly("standard-lax", "batch-eager");
    }

    @Test
    void criticalGoesFirstThenStandardThenBatchEachByPriorityThenArrival() {
        JobQueue q = new JobQueue();
        q.add(Fixtures.job("batch", "m", ServiceClass.BATCH, 0), 0);
        q.add(Fixtures.job("standard-late", "m", ServiceClass.STANDARD, 0), 1);
        q.add(Fixtures.job("critical-lax", "m", ServiceClass.CRITICAL, 50), 2);
        q.add(Fixtures.job("standard-urgent", "m", ServiceClass.STANDARD, -10), 3);
        q.add(Fixtures.job("critical", "m", ServiceClass.CRITICAL, 0), 4);
        q.add(Fixtures.job("standard-later", "m", ServiceClass.STANDARD, 0), 5);

        assertThat(q.inOrder()).extracting(w -> w.job().jobId()).containsExactly(
                "critical", "critical-lax", "standard-urgent", "standard-late", "standard-later", "batch");
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
        assertThat(q.remove("a")).map(InferenceJob::jobId).contains("a");
        assertThat(q.inOrder()).extracting(w -> w.job().jobId()).containsExactly("b");
        assertThat(q.remove("a")).isEmpty();
    }
}
