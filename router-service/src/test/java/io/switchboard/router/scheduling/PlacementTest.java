package io.switchboard.router.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.switchboard.router.Fixtures;
import io.switchboard.router.admission.ProviderRouting;
import io.switchboard.router.registry.WorkerSnapshot;
import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.Feature;
import io.switchboard.schema.event.GenerationOptions;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.wire.Json;

/** Placement decisions, as a table: (job's model, workers) → chosen worker. */
class PlacementTest {

    static WorkerSnapshot w(String id, int total, int free, String... models) {
        return new WorkerSnapshot(id, Arrays.asList(models), "llama", total, free, total - free, 0);
    }

    final Placement placement = new Placement(List.of(new Placement.WeightedScorer(new LeastLoadedScorer(), 1.0)),
            new Random(42));

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("the only worker with room", List.of(w("a", 4, 0, "m"), w("b", 4, 1, "m")), "b"),
                Arguments.of("least loaded by share, not by free count", List.of(w("big", 8, 4, "m"), w("small", 4, 3, "m")),
                        "small"),
                Arguments.of("skips workers of other models", List.of(w("x", 4, 4, "other"), w("y", 4, 1, "m")), "y"),
                Arguments.of("a worker serving several models", List.of(w("multi", 2, 2, "other", "m")), "multi"),
                Arguments.of("nobody serves the model", List.of(w("x", 4, 4, "other")), null),
                Arguments.of("every worker is full", List.of(w("a", 2, 0, "m"), w("b", 2, 0, "m")), null),
                Arguments.of("no workers at all", List.of(), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void placesJobOnExpectedWorker(String name, List<WorkerSnapshot> workers, String expected) {
        assertThat(placement.place(Fixtures.job("j", "m", 0), workers).orElse(null)).isEqualTo(expected);
    }

    static WorkerSnapshot able(String id, int free, int maxN, Feature... features) {
        return new WorkerSnapshot(id, List.of("m"), "openai", 4, free, 4 - free, 0, null,
                new EngineCapabilities(List.of(), 2048, maxN, Set.of(features), true), null);
    }

    static InferenceJob needing(int n, boolean logprobs, String responseFormat, boolean tools) {
        InferenceJob plain = Fixtures.job("j", "m", 0);
        JsonNode format = responseFormat == null ? null
                : Json.MAPPER.createObjectNode().put("type", responseFormat);
        JsonNode toolList = tools ? Json.MAPPER.createArrayNode().add(Json.MAPPER.createObjectNode().put("type", "function"))
                : null;
        return new InferenceJob(plain.v(), plain.jobId(), plain.requestId(), plain.tenantId(), plain.model(),
                plain.priority(), plain.messages(), plain.sampling(), plain.createdAtMs(), plain.deadlineAtMs(), plain.keyId(),
                plain.serviceClass(), plain.weight(),
                new GenerationOptions(n, logprobs, null, format, toolList, null, null, null));
    }

    static Stream<Arguments> capabilities() {
        return Stream.of(
                Arguments.of("plain text runs anywhere", needing(1, false, null, false),
                        List.of(w("text", 4, 4, "m")), "text"),
                Arguments.of("tools only where the engine has them", needing(1, false, null, true),
                        List.of(w("text", 4, 4, "m"), able("tooled", 1, 1, Feature.TOOLS)), "tooled"),
                Arguments.of("n = 4 only where the engine allows 4 choices", needing(4, false, null, false),
                        List.of(able("two", 4, 2, Feature.N), able("eight", 4, 8, Feature.N)), "eight"),
                Arguments.of("n = 3 only where a slot is free for each choice", needing(3, false, null, false),
                        List.of(able("two free", 2, 8, Feature.N), able("three free", 3, 8, Feature.N)), "three free"),
                Arguments.of("n = 3 nowhere while no worker has three slots free", needing(3, false, null, false),
                        List.of(able("two free", 2, 8, Feature.N), able("one free", 1, 8, Feature.N)), null),
                Arguments.of("json_schema is not json_object", needing(1, false, "json_schema", false),
                        List.of(able("object", 4, 1, Feature.JSON_OBJECT)), null),
                Arguments.of("every feature at once", needing(2, true, "json_object", true),
                        List.of(able("some", 4, 8, Feature.N, Feature.LOGPROBS),
                                able("all", 2, 8, Feature.N, Feature.LOGPROBS, Feature.JSON_OBJECT, Feature.TOOLS)), "all"),
                Arguments.of("a restarting engine takes nothing", needing(1, false, null, false),
                        List.of(new WorkerSnapshot("down", List.of("m"), "llama-server", 4, 0, 0, 0, null,
                                EngineCapabilities.TEXT_ONLY.withAvailable(false), null)), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("capabilities")
    void placesJobOnlyWhereTheEngineCanRunIt(String name, InferenceJob job, List<WorkerSnapshot> workers, String expected) {
        assertThat(placement.place(job, workers).orElse(null)).isEqualTo(expected);
    }

    static WorkerSnapshot at(String id, String provider, int free) {
        return new WorkerSnapshot(id, List.of("m"), "openai", 4, free, 4 - free, 0, null, null, provider);
    }

    static Stream<Arguments> providers() {
        return Stream.of(
                Arguments.of("local only never picks a cloud worker", ProviderRouting.Allowed.LOCAL_ONLY,
                        List.of(at("cloud", "cloud", 4), at("local", "local", 0)), null),
                Arguments.of("cloud only never picks a local worker", ProviderRouting.Allowed.CLOUD_ONLY,
                        List.of(at("local", "local", 4), at("cloud", "cloud", 1)), "cloud"),
                Arguments.of("both: local first, however loaded", ProviderRouting.Allowed.BOTH,
                        List.of(at("cloud", "cloud", 4), at("local", "local", 1)), "local"),
                Arguments.of("both: the cloud when no local worker has room", ProviderRouting.Allowed.BOTH,
                        List.of(at("cloud", "cloud", 4), at("local", "local", 0)), "cloud"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void placesJobOnlyOnAnAllowedProviderLocalFirst(String name, ProviderRouting.Allowed allowed,
            List<WorkerSnapshot> workers, String expected) {
        assertThat(placement.place(new PlacementRequest(Fixtures.job("j", "m", 0), allowed), workers).orElse(null))
                .isEqualTo(expected);
    }

    @Test
    void tiesAreBrokenBySeededRandomSoBothWorkersGetWork() {
        List<WorkerSnapshot> tied = List.of(w("a", 4, 4, "m"), w("b", 4, 4, "m"));
        var picks = Stream.generate(() -> placement.place(Fixtures.job("j", "m", 0), tied).orElseThrow()).limit(50).toList();
        assertThat(picks).contains("a", "b");
        Placement again = new Placement(List.of(new Placement.WeightedScorer(new LeastLoadedScorer(), 1.0)), new Random(42));
        Placement same = new Placement(List.of(new Placement.WeightedScorer(new LeastLoadedScorer(), 1.0)), new Random(42));
        assertThat(again.place(Fixtures.job("j", "m", 0), tied)).isEqualTo(same.place(Fixtures.job("j", "m", 0), tied));
    }
}
