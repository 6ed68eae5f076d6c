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
import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.Feature;
import io.switchboard.schema.event.GenerationOptions;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobAssignment;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.Providers;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.schema.event.ServiceClass;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.event.WorkerHeartbeat;
import io.switchboard.schema.openai.TokenLogprob;
import io.switchboard.schema.openai.ToolCall;
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

    /** A job as v2 wrote it: no generation options. */
    static final InferenceJob JOB = new InferenceJob(2, JOB_V1.jobId(), "req-1", "tenant-a", "stories260k", 0,
            JOB_V1.messages(), JOB_V1.sampling(), 1_700_000_000_000L, 1_700_000_120_000L, "key_4f2a9c", ServiceClass.CRITICAL, 2.0);

    /** A job with every generation option and a tool-use conversation. */
    static final InferenceJob JOB_V3 = new InferenceJob(InferenceJob.VERSION, JOB.jobId(), "req-1", "tenant-a", "stories260k", 0,
            List.of(new PromptMessage("system", "Be brief."), new PromptMessage("user", "What is the weather in Paris?"),
                    new PromptMessage("assistant", "", null,
                            List.of(ToolCall.function("call_1", "get_weather", "{\"city\":\"Paris\"}")), null),
                    new PromptMessage("tool", "{\"temp\":21}", null, null, "call_1")),
            JOB_V1.sampling(), 1_700_000_000_000L, 1_700_000_120_000L, "key_4f2a9c", ServiceClass.CRITICAL, 2.0,
            new GenerationOptions(2, true, 3,
                    tree("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"w\",\"schema\":{\"type\":\"object\"},\"strict\":true}}"),
                    tree("[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather of a city\","
                            + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]"),
                    tree("\"auto\""), false, java.util.Map.of("min_tokens", tree("4"))), Providers.CLOUD);

    static final UsageRecord USAGE = new UsageRecord(UsageRecord.VERSION, JOB.jobId(), "req-1", "tenant-a", "key_4f2a9c",
            "stories260k", "llama", "worker-1", 31, 64, 0, 5L, 42L, 900L, "length", UsageRecord.Outcome.FINISHED, null,
            1_700_000_000_000L, 1_700_000_000_900L);

    static Stream<Arguments> events() {
        return Stream.of(
                Arguments.of("inference-job.v3.json", JOB_V3, InferenceJob.class),
                Arguments.of("usage-record.v1.json", USAGE, UsageRecord.class),
                Arguments.of("job-assignment.v1.json", JobAssignment.of(JOB_V3, "worker-1", 1_700_000_000_005L),
                        JobAssignment.class),
                Arguments.of("job-completion.v3.json",
                        JobCompletion.of(JOB.jobId(), "worker-1", JobCompletion.Outcome.FINISHED, 1_700_000_000_900L, 31, 64),
                        JobCompletion.class),
                Arguments.of("job-completion.v3.handed-back.json",
                        JobCompletion.handedBack(JOB_V3, "worker-1", 1_700_000_000_900L, 31,
                                FailureCode.ENGINE_UNAVAILABLE.wire(), "The engine refused the connection."),
                        JobCompletion.class),
                Arguments.of("cancel-job.v1.json", CancelJob.of(JOB.jobId(), "client_disconnected", 1_700_000_000_500L),
                        CancelJob.class),
                Arguments.of("worker-heartbeat.v2.json",
                        new WorkerHeartbeat(2, "worker-1", List.of("stories260k"), "llama", 4, 3, 0,
                                List.of(JOB.jobId()), 1_700_000_000_100L, 1000L,
                                new EngineCapabilities(List.of("tiny-stories"), 512, 8, java.util.Set.of(Feature.TOOLS,
                                        Feature.JSON_SCHEMA, Feature.N, Feature.LOGPROBS, Feature.JSON_OBJECT), true),
                                Providers.CLOUD, java.util.Map.of(JOB.jobId(), 17)),
                        WorkerHeartbeat.class),
                Arguments.of("token-delta.v2.json", new TokenEvent.Delta(2, "Once upon", 1,
                        List.of(new TokenLogprob("Once", -0.25, TokenLogprob.utf8("Once"), List.of(
                                new TokenLogprob.Top("Once", -0.25, TokenLogprob.utf8("Once")),
                                new TokenLogprob.Top("One", -1.5, null)))),
                        List.of(ToolCall.Chunk.start(0, "call_1", "get_weather")), "thinking"), TokenEvent.class),
                Arguments.of("token-choice-end.v2.json", TokenEvent.ChoiceEnd.of(1, "tool_calls"), TokenEvent.class),
                Arguments.of("token-finish.v2.json", TokenEvent.Finish.of("length", Usage.of(31, 64, 16)).servedBy(Providers.LOCAL),
                        TokenEvent.class),
                Arguments.of("token-failure.v2.json",
                        TokenEvent.Failure.of(FailureCode.WORKER_LOST, "worker worker-1 stopped heartbeating"),
                        TokenEvent.class));
    }

    /** Events as older versions wrote them: they must still decode, to what they meant then. */
    static Stream<Arguments> olderEvents() {
        return Stream.of(
                Arguments.of("inference-job.v2.json", JOB, InferenceJob.class),
                Arguments.of("worker-heartbeat.v1.json",
                        new WorkerHeartbeat(1, "worker-1", List.of("stories260k"), "llama", 4, 3, 0,
                                List.of(JOB.jobId()), 1_700_000_000_100L, 1000L),
                        WorkerHeartbeat.class),
                Arguments.of("token-delta.v1.json", new TokenEvent.Delta(1, "Once upon"), TokenEvent.class),
                Arguments.of("token-finish.v1.json", new TokenEvent.Finish(1, "length", Usage.of(31, 64)), TokenEvent.class),
                Arguments.of("token-failure.v1.json", new TokenEvent.Failure(1, "worker_lost",
                        "worker worker-1 stopped heartbeating", 503, null), TokenEvent.class));
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("olderEvents")
    void olderGoldenFileStillDecodes(String golden, Object event, Class<?> type) throws IOException {
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
    void v2JobDecodesAsOneChoiceOfPlainText() throws IOException {
        InferenceJob old = Json.MAPPER.readValue(read("inference-job.v2.json"), InferenceJob.class);
        assertThat(old.options()).isEqualTo(GenerationOptions.DEFAULT);
        assertThat(old.options().needs()).isEmpty();
    }

    @org.junit.jupiter.api.Test
    void v3JobNeedsEveryFeatureItAsksFor() {
        assertThat(JOB_V3.options().needs()).containsExactlyInAnyOrder(Feature.N, Feature.LOGPROBS, Feature.JSON_SCHEMA,
                Feature.TOOLS, Feature.MIN_TOKENS);
    }

    @org.junit.jupiter.api.Test
    void v1DeltaIsTextOfChoiceZero() throws IOException {
        TokenEvent.Delta old = (TokenEvent.Delta) Json.MAPPER.readValue(read("token-delta.v1.json"), TokenEvent.class);
        assertThat(old.index()).isZero();
        assertThat(old.logprobs()).isNull();
        assertThat(old.toolCalls()).isNull();
        assertThat(old.terminal()).isFalse();
    }

    @org.junit.jupiter.api.Test
    void v1HeartbeatMeansALocalWorkerOfPlainTextOnly() throws IOException {
        WorkerHeartbeat old = Json.MAPPER.readValue(read("worker-heartbeat.v1.json"), WorkerHeartbeat.class);
        assertThat(old.capabilities()).isEqualTo(EngineCapabilities.TEXT_ONLY);
        assertThat(old.provider()).isEqualTo(Providers.LOCAL);
    }

    @org.junit.jupiter.api.Test
    void aFeatureANewerWorkerAnnouncesIsIgnored() throws IOException {
        EngineCapabilities c = Json.MAPPER.readValue(
                "{\"aliases\":[],\"contextLength\":0,\"maxN\":1,\"features\":[\"n\",\"telepathy\"],\"available\":true}",
                EngineCapabilities.class);
        assertThat(c.features()).containsExactly(Feature.N);
    }

    @org.junit.jupiter.api.Test
    void v2CompletionDecodesWithNoFailure() throws IOException {
        JobCompletion old = Json.MAPPER.readValue(read("job-completion.v2.json"), JobCompletion.class);
        assertThat(old).isEqualTo(new JobCompletion(2, JOB.jobId(), "worker-1", JobCompletion.Outcome.FINISHED,
                1_700_000_000_900L, 31, 64));
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

    private static JsonNode tree(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static String read(String name) throws IOException {
        try (InputStream in = WireFormatGoldenTest.class.getResourceAsStream("/golden/" + name)) {
            assertThat(in).as("golden file " + name).isNotNull();
            return new String(in.readAllBytes());
        }
    }
}
