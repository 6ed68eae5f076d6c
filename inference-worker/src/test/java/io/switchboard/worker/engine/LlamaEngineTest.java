package io.switchboard.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.worker.engine.InferenceEngine.EventSink;
import io.switchboard.worker.Jobs;

/** llama.cpp through the Java binding on the real test model (stories260K). */
class LlamaEngineTest {
    static LlamaEngine engine;

    @BeforeAll
    static void load() throws Exception {
        Path model = Path.of(System.getProperty("switchboard.test.model"));
        Path nativeDir = Files.createDirectories(Path.of("target", "native-test").toAbsolutePath());
        System.setProperty("de.kherud.llama.tmpdir", nativeDir.toString());
        engine = new LlamaEngine(model, "stories", 2, 512, 1, 0, false);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void greedyGenerationIsDeterministicAndCountsEveryToken() {
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        var ga = engine.generate(Jobs.job("stories", 16, 0.0, List.of(), true), EventSink.texts(a::add), () -> false);
        var gb = engine.generate(Jobs.job("stories", 16, 0.0, List.of(), true), EventSink.texts(b::add), () -> false);

        assertThat(String.join("", a)).isNotEmpty().isEqualTo(String.join("", b));
        assertThat(ga.completionTokens()).isEqualTo(16);
        assertThat(ga.finishReason()).isEqualTo("length");
        assertThat(ga.promptTokens()).isEqualTo(gb.promptTokens()).isGreaterThan(10);
    }

    @Test
    void promptTokensAreCountedByTheModelTokenizerOverTheChatTemplate() {
        InferenceJob shortJob = Jobs.job("stories", 1, 0.0, List.of(), true);
        InferenceJob longJob = new InferenceJob(1, "j", "r", "t", "stories", 0,
                List.of(new PromptMessage("user", "Tell me a story. ".repeat(10))), shortJob.sampling(), 0, Long.MAX_VALUE);
        int shortPrompt = engine.generate(shortJob, EventSink.texts(d -> {
        }), () -> false).promptTokens();
        int longPrompt = engine.generate(longJob, EventSink.texts(d -> {
        }), () -> false).promptTokens();
        assertThat(longPrompt).isGreaterThan(shortPrompt + 30);
    }

    @Test
    void templateUsesEveryRoleInOrder() {
        String request = LlamaEngine.templateRequest(List.of(new PromptMessage("developer", "rules"),
                new PromptMessage("user", "hi"), new PromptMessage("assistant", "hello")));
        assertThat(request).contains("\"role\":\"system\"").contains("\"content\":\"rules\"");
        assertThat(request.indexOf("rules")).isLessThan(request.indexOf("hi"));
    }

    @Test
    void stopSequenceEndsGenerationWithStop() {
        StringBuilder text = new StringBuilder();
        var g = engine.generate(Jobs.job("stories", 200, 0.0, List.of("."), true), EventSink.texts(text::append), () -> false);
        assertThat(text.toString()).doesNotContain(".");
        assertThat(g.finishReason()).isEqualTo("stop");
        assertThat(g.completionTokens()).isLessThan(200);
    }

    @Test
    void cancelStopsTheSequence() {
        AtomicInteger deltas = new AtomicInteger();
        var g = engine.generate(Jobs.job("stories", 400, 0.8, List.of(), true), EventSink.texts(d -> deltas.incrementAndGet()),
                () -> deltas.get() >= 5);
        assertThat(g.cancelled()).isTrue();
        // a cancelled sequence still reports what it generated (the client's finish and the usage record carry it)
        assertThat(g.completionTokens()).isBetween(5, 49);
        assertThat(g.promptTokens()).isPositive();
    }

    @Test
    void promptLongerThanTheContextFailsAsContextLengthExceeded() {
        InferenceJob job = new InferenceJob(1, "j", "r", "t", "stories", 0,
                List.of(new PromptMessage("user", "word ".repeat(2000))),
                new SamplingParams(0, 1, null, null, 10, List.of(), null, 0, 0, false), 0, Long.MAX_VALUE);
        assertThatThrownBy(() -> engine.generate(job, EventSink.texts(d -> {
        }), () -> false)).isInstanceOfSatisfying(EngineException.class,
                e -> assertThat(e.code()).isEqualTo(FailureCode.CONTEXT_LENGTH_EXCEEDED));
    }

    @Test
    void twoSequencesRunAtOnceInTheTwoSlots() throws Exception {
        var first = CompletableFuture.supplyAsync(() -> engine.generate(Jobs.job("stories", 64, 0.7, List.of(), true), EventSink.texts(d -> {
        }), () -> false));
        var second = CompletableFuture.supplyAsync(() -> engine.generate(Jobs.job("stories", 64, 0.7, List.of(), true), EventSink.texts(d -> {
        }), () -> false));
        assertThat(first.get().completionTokens()).isEqualTo(64);
        assertThat(second.get().completionTokens()).isEqualTo(64);
    }

    @Test
    void jsonSchemaAnswerIsConstrainedByAGrammarSoItParses() throws Exception {
        StringBuilder text = new StringBuilder();
        var format = io.switchboard.schema.wire.Json.MAPPER.readTree("""
                {"type":"json_schema","json_schema":{"name":"f","strict":true,"schema":{"type":"object",
                 "properties":{"sky":{"type":"string","enum":["sunny","rainy"]},"windy":{"type":"boolean"}},
                 "required":["sky","windy"],"additionalProperties":false}}}""");
        var g = engine.generate(Jobs.withOptions(Jobs.job("stories", 64, 0.8, List.of(), false),
                new io.switchboard.schema.event.GenerationOptions(1, false, null, format, null, null, null, null)),
                EventSink.texts(text::append), () -> false);
        var answer = io.switchboard.schema.wire.Json.MAPPER.readTree(text.toString());
        assertThat(answer.get("sky").asText()).isIn("sunny", "rainy");
        assertThat(answer.get("windy").isBoolean()).isTrue();
        assertThat(g.finishReason()).isEqualTo("stop");
    }

    @Test
    void structuredChoiceAnswersWithOneOfTheChoices() throws Exception {
        StringBuilder text = new StringBuilder();
        var choice = io.switchboard.schema.wire.Json.MAPPER.readTree("{\"choice\":[\"yes\",\"no\"]}");
        engine.generate(Jobs.withOptions(Jobs.job("stories", 8, 0.8, List.of(), false),
                new io.switchboard.schema.event.GenerationOptions(1, false, null, null, null, null, null,
                        java.util.Map.of("structured_outputs", choice))),
                EventSink.texts(text::append), () -> false);
        assertThat(text.toString()).isIn("yes", "no");
    }
}
