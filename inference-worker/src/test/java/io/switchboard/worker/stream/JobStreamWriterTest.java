package io.switchboard.worker.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.Usage;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.Wait;

/**
 * A job's token stream on a real Redis whose writes fail for a while (the stream's key is made a string, so every XADD
 * answers WRONGTYPE: Redis refusing writes, from outside the writer): the stream ends with an error the client sees,
 * never in silence.
 */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
class JobStreamWriterTest {
    @Inject
    StreamConnections connections;
    @Inject
    RedisDataSource redis;
    @Inject
    io.micrometer.core.instrument.MeterRegistry meters;

    @Test
    void aDeltaThatCannotBeWrittenEndsTheStreamWithAFailureOnceRedisTakesWritesAgain() throws Exception {
        Job job = ownedJob();
        JobStreamWriter writer = job.writer();
        String key = job.key();
        firstDeltaThenRefused(writer, key);
        writer.delta(" upon");
        Wait.until(Duration.ofSeconds(10), "the stream breaks once the delta's retries are spent", writer::broken);
        writer.delta(" a time"); // after the break nothing but the failure is written: no answer with a hole in it
        CompletableFuture<Void> done = writer.end(TokenEvent.Finish.of("stop", Usage.of(3, 3, 0)));
        Thread.sleep(1500);
        assertThat(done).isNotDone(); // still trying: Redis refuses
        redis.key().del(key);

        done.get(15, TimeUnit.SECONDS);
        List<TokenEvent> events = events(key);
        assertThat(events).hasSize(1);
        assertThat(events.get(0)).isInstanceOfSatisfying(TokenEvent.Failure.class,
                f -> assertThat(f.code()).isEqualTo(FailureCode.INFERENCE_FAILED.wire()));
        assertThat(writer.broken()).isTrue();
    }

    @Test
    void deltasThatComeWithinTheStreamIntervalGoOutTogetherInOneEntryAtItsEnd() throws Exception {
        double heldBefore = meters.counter("switchboard.worker.stream.writes.held").count();
        long start = System.nanoTime();
        Job job = firstDeltaWritten(Duration.ofSeconds(5));
        JobStreamWriter writer = job.writer();
        writer.delta(" upon");
        writer.delta(" a");
        writer.delta(" time");
        Thread.sleep(300);
        int written = events(job.key()).size();
        if (System.nanoTime() - start < Duration.ofSeconds(4).toNanos()) { // still within the interval
            assertThat(written).as("held for the interval").isEqualTo(1);
        }

        Wait.until(Duration.ofSeconds(15), "the held deltas are written", () -> events(job.key()).size() == 2);
        assertThat(events(job.key())).extracting(JobStreamWriterTest::text).containsExactly("Once", " upon a time");
        assertThat(meters.counter("switchboard.worker.stream.writes.held").count()).isGreaterThan(heldBefore);
        writer.end(TokenEvent.Finish.of("stop", Usage.of(1, 4, 0))).get(10, TimeUnit.SECONDS);
    }

    @Test
    void theChoicesHeldByTheStreamIntervalAreWrittenTogetherNotAnIntervalApartEach() throws Exception {
        Job job = firstDeltaWritten(Duration.ofSeconds(5));
        JobStreamWriter writer = job.writer();
        writer.delta(TokenEvent.Delta.of(0, " upon"));
        writer.delta(TokenEvent.Delta.of(1, "Twice"));

        Wait.until(Duration.ofSeconds(15), "both choices are written", () -> events(job.key()).size() == 3);
        List<Long> writtenAtMs = redis.stream(String.class).xrange(job.key(), StreamRange.of("-", "+")).stream()
                .map(m -> Long.parseLong(m.id().substring(0, m.id().indexOf('-')))).toList();
        assertThat(writtenAtMs.get(2) - writtenAtMs.get(1)).as("ms between the two choices' writes").isLessThan(2500);
        writer.end(TokenEvent.Finish.of("stop", Usage.of(1, 3, 0))).get(10, TimeUnit.SECONDS);
    }

    @Test
    void theEndIsNotHeldByTheStreamIntervalAndFollowsWhatWasPending() throws Exception {
        Job job = firstDeltaWritten(Duration.ofSeconds(30));
        JobStreamWriter writer = job.writer();
        writer.delta(" upon");
        writer.end(TokenEvent.Finish.of("stop", Usage.of(1, 2, 0))).get(10, TimeUnit.SECONDS);

        List<TokenEvent> events = events(job.key());
        assertThat(events).hasSize(3);
        assertThat(text(events.get(1))).isEqualTo(" upon");
        assertThat(events.get(2)).isInstanceOf(TokenEvent.Finish.class);
    }

    @Test
    void aFailedWriteWaitsFiftyMillisecondsDoublingUpToASecondGiveOrTakeAHalfBeforeItIsSentAgain() {
        long[] base = {50, 100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000};
        for (int attempt = 0; attempt < base.length; attempt++) {
            for (int draw = 0; draw < 200; draw++) {
                assertThat(JobStreamWriter.backoffMs(attempt)).as("attempt %d", attempt)
                        .isBetween(base[attempt] / 2, base[attempt] * 3 / 2);
            }
        }
    }

    @Test
    void aFinishThatCannotBeWrittenIsReplacedByAFailure() throws Exception {
        Job job = ownedJob();
        JobStreamWriter writer = job.writer();
        String key = job.key();
        firstDeltaThenRefused(writer, key);

        CompletableFuture<Void> done = writer.end(TokenEvent.Finish.of("stop", Usage.of(1, 1, 0)));
        Wait.until(Duration.ofSeconds(10), "the finish's retries are spent", writer::broken);
        redis.key().del(key);

        done.get(15, TimeUnit.SECONDS);
        assertThat(events(key)).singleElement().isInstanceOf(TokenEvent.Failure.class);
    }

    @Test
    void aFirstDeltaThatCannotBeWrittenEndsTheStreamWithAFailureWrittenUnderTheOwnerCheck() throws Exception {
        Job job = ownedJob();
        JobStreamWriter writer = job.writer();
        String key = job.key();
        redis.value(String.class).set(key, "not a stream");
        writer.delta("Once");
        Wait.until(Duration.ofSeconds(10), "the first delta's retries are spent", writer::broken);
        CompletableFuture<Void> done = writer.end(TokenEvent.Finish.of("stop", Usage.of(1, 1, 0)));
        // the job went to someone else meanwhile: the failure, written under the owner check too, is not written
        redis.value(String.class).set(RedisKeys.jobOwner(job.id()), "worker-other");
        redis.key().del(key);

        done.get(15, TimeUnit.SECONDS);
        assertThat(writer.fenced()).isTrue();
        assertThat(events(key)).isEmpty();
    }

    /** The writer's first delta is written; then Redis refuses writes to the stream (its key is made a string). */
    private void firstDeltaThenRefused(JobStreamWriter writer, String key) {
        writer.delta("Once");
        Wait.until(Duration.ofSeconds(10), "the first delta is written", () -> events(key).size() == 1);
        redis.key().del(key);
        redis.value(String.class).set(key, "not a stream");
    }

    /** A job, its stream's key, and the writer of worker {@code worker-w}, which owns the job. */
    private record Job(String id, String key, JobStreamWriter writer) {
    }

    private Job ownedJob() {
        return ownedJob(Duration.ZERO);
    }

    private Job ownedJob(Duration streamInterval) {
        String jobId = "chatcmpl-writer-" + System.nanoTime();
        redis.value(String.class).set(RedisKeys.jobOwner(jobId), "worker-w");
        return new Job(jobId, RedisKeys.jobStream(jobId), new JobStreamWriter(connections, jobId, "worker-w", "local", 1000,
                Duration.ofMinutes(1), Duration.ofMinutes(1), streamInterval));
    }

    /** A job whose writer has the stream interval given and has written its first delta ("Once"), at once. */
    private Job firstDeltaWritten(Duration streamInterval) {
        Job job = ownedJob(streamInterval);
        job.writer().delta("Once");
        Wait.until(Duration.ofSeconds(10), "the first delta is written at once", () -> events(job.key()).size() == 1);
        return job;
    }

    private static String text(TokenEvent event) {
        return ((TokenEvent.Delta) event).text();
    }

    private List<TokenEvent> events(String key) {
        if (!"stream".equals(redis.key().type(key).toString().toLowerCase(java.util.Locale.ROOT))) {
            return List.of();
        }
        return redis.stream(String.class).xrange(key, StreamRange.of("-", "+")).stream()
                .map(m -> Json.read(m.payload().get(RedisKeys.EVENT_FIELD), TokenEvent.class)).toList();
    }
}
