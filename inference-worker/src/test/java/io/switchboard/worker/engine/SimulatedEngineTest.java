package io.switchboard.worker.engine;

import io.switchboard.worker.engine.InferenceEngine.EventSink;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.switchboard.worker.Jobs;

class SimulatedEngineTest {
    final SimulatedEngine engine = new SimulatedEngine("sim", Duration.ZERO, 100_000);

    @Test
    void producesTheSameTextEveryTimeUpToMaxTokens() {
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        var g = engine.generate(Jobs.job("sim", 5, 1.0, List.of(), false), EventSink.texts(first::add), () -> false);
        engine.generate(Jobs.job("sim", 5, 1.0, List.of(), false), EventSink.texts(second::add), () -> false);

        assertThat(first).containsExactly("Once", " upon", " a", " time", " there").isEqualTo(second);
        assertThat(g.finishReason()).isEqualTo("length");
        assertThat(g.completionTokens()).isEqualTo(5);
        assertThat(g.promptTokens()).isPositive();
    }

    @Test
    void stopSequenceEndsTheTextBeforeIt() {
        StringBuilder text = new StringBuilder();
        var g = engine.generate(Jobs.job("sim", 50, 1.0, List.of(" time"), false), EventSink.texts(text::append), () -> false);
        assertThat(text.toString()).isEqualTo("Once upon a");
        assertThat(g.finishReason()).isEqualTo("stop");
    }

    @Test
    void cancellationStopsGenerationEarly() {
        AtomicInteger deltas = new AtomicInteger();
        var g = engine.generate(Jobs.job("sim", 1000, 1.0, List.of(), false), EventSink.texts(d -> deltas.incrementAndGet()),
                () -> deltas.get() >= 3);
        assertThat(g.cancelled()).isTrue();
        assertThat(g.completionTokens()).isEqualTo(3);
    }

    @Test
    void pacesTokensAtTheConfiguredRate() {
        SimulatedEngine slow = new SimulatedEngine("sim", Duration.ofMillis(50), 100);
        long t0 = System.nanoTime();
        slow.generate(Jobs.job("sim", 6, 1.0, List.of(), false), EventSink.texts(d -> {
        }), () -> false);
        // 50 ms to the first token, then 5 more at 10 ms each: at least 100 ms in all
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(100));
    }
}
