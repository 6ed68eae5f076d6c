package io.switchboard.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.event.CancelJob;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobAssignment;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.schema.event.ServiceClass;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.event.WorkerHeartbeat;
import io.switchboard.schema.openai.Usage;
import io.switchboard.schema.wire.Json;

/**
 * Golden files guard the wire format of every internal event: a change that alters the JSON of an
 * event fails here, and must bump the event's version (and topic) instead.
 */
class WireFormatGoldenTest {

    /** A job as v1 wrote it: no key id, class or weight. */
    static final InferenceJob JOB_V1 = new InferenceJob(1, "chatcmpl-0123456789abcdef", "req-1", "tenant-a", "stories260k", 0,
            List.of(new PromptMessage("system", "Be brief."), new PromptMessage("user", "Tell a story")),
            new SamplingParams(0.7, 0.9, null, null, 64, List.of("\n\n"), 42L, 0.0, 0.5, false),
            1_700_000_000_000L, 1_700_000_120_000L);

    static final InferenceJob JOB = new InferenceJob(InferenceJob.VERSION, JOB_V1.jobId(), "req-1", "tenant-a", "stories260k", 0,
            JOB_V1.messages(), JOB_V1.sampling(), 1_700_000_000_000L, 1_700_000_120_000L, "key_4f2a9c", ServiceClass.CRITICAL, 2.0);

    static final UsageRecord USAGE = new UsageRecord(UsageRecord.VERSION, JOB.jobId(), "req-1", "tenant-a", "key_4f2a9c",
            "stories260k", "llama", "worker-1", 31, 64, 0, 5L, 42L, 900L, "length", UsageRecord.Outcome.FINISHED, null,
            1_700_000_000_000L, 1_700_000_000_900L);

    static Stream<Arguments> events() {
        return Stream.of(
                Arguments.of("inference-job.v2.json", JOB, InferenceJob.class),
                Arguments.of("usage-record.v1.json", USAGE, UsageRecord.class),
                Arguments.of("job-assignment.v1.json", JobAssignment.of(JOB, "worker-1", 1_700_000_000_005L),
                        JobAssignment.class),
                Arguments.of("job-completion.v2.json",
                        JobCompletion.of(JOB.jobId(), "worker-1", JobCompletion.Outcome.FINISHED, 1_700_000_000_900L, 31, 64),
                        JobCompletion.class),
                Arguments.of("cancel-job.v1.json", CancelJob.of(JOB.jobId(), "client_disconnected", 1_700_000_000_500L),
                        CancelJob.class),
                Arguments.of("worker-heartbeat.v1.json",
                        new WorkerHeartbeat(1, "worker-1", List.of("stories260k"), "llama", 4, 3, 0,
                                List.of(JOB.jobId()), 1_700_000_000_100L, 1000L),
                        WorkerHeartbeat.class),
                Arguments.of("token-delta.v1.json", TokenEvent.Delta.of("Once upon"), TokenEvent.class),
                Arguments.of("token-finish.v1.json", TokenEvent.Finish.of("length", Usage.of(31, 64)), TokenEvent.class),
                Arguments.of("token-failure.v1.json",
                        TokenEvent.Failure.of(FailureCode.WORKER_LOST, "worker worker-1 stopped heartbeating"),
                        TokenEvent.class));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void eventEncodesExactlyAsItsGoldenFile(String golden, Object event, Class<?> type) throws IOException {
        JsonNode expected = Json.MAPPER.readTree(read(golden));
        JsonNode actual = Json.MAPPER.readTree(Json.write(event));
        assertThat(actual).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void goldenFileDecodesToTheSameEvent(String golden, Object event, Class<?> type) throws IOException {
        assertThat(Json.MAPPER.readValue(read(golden), type)).isEqualTo(event);
    }

    @org.junit.jupiter.api.Test
    void jobWrittenBeforeIgnoreEosExistedStillDecodes() throws IOException {
        InferenceJob old = Json.MAPPER.readValue(read("inference-job.v1.before-ignore-eos.json"), InferenceJob.class);
        assertThat(old.sampling().ignoreEos()).isFalse();
        assertThat(old).isEqualTo(JOB_V1);
    }

    @org.junit.jupiter.api.Test
    void v1JobDecodesAsStandardClassWithWeightOneAndNoKey() throws IOException {
        InferenceJob old = Json.MAPPER.readValue(read("inference-job.v1.json"), InferenceJob.class);
        assertThat(old).isEqualTo(JOB_V1);
        assertThat(old.serviceClass()).isEqualTo(ServiceClass.STANDARD);
        assertThat(old.weight()).isEqualTo(1.0);
        assertThat(old.keyId()).isNull();
    }

    @org.junit.jupiter.api.Test
    void v1CompletionDecodesWithZeroTokenCounts() throws IOException {
        JobCompletion old = Json.MAPPER.readValue(read("job-completion.v1.json"), JobCompletion.class);
        assertThat(old).isEqualTo(new JobCompletion(1, JOB.jobId(), "worker-1", JobCompletion.Outcome.FINISHED,
                1_700_000_000_900L, 0, 0));
    }

    @org.junit.jupiter.api.Test
    void aRequestCanLowerItsClassButNeverRaiseIt() {
        assertThat(ServiceClass.STANDARD.atMost(ServiceClass.BATCH)).isEqualTo(ServiceClass.BATCH);
        assertThat(ServiceClass.BATCH.atMost(ServiceClass.CRITICAL)).isEqualTo(ServiceClass.BATCH);
        assertThat(ServiceClass.STANDARD.atMost(ServiceClass.CRITICAL)).isEqualTo(ServiceClass.STANDARD);
    }

    private static String read(String name) throws IOException {
        try (InputStream in = WireFormatGoldenTest.class.getResourceAsStream("/golden/" + name)) {
            assertThat(in).as("golden file " + name).isNotNull();
            return new String(in.readAllBytes());
        }
    }
}
