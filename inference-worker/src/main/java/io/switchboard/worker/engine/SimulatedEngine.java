package io.switchboard.worker.engine;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;

/**
 * A model-free engine for load tests of the platform: after {@code timeToFirstToken} it produces
 * deterministic text at {@code tokensPerSecond} per sequence, honouring max_tokens, stop sequences and
 * cancellation. One "token" is one word of a fixed text. Chosen explicitly
 * ({@code switchboard.worker.engine=simulated}), never as a fallback.
 */
public final class SimulatedEngine implements InferenceEngine {
    static final String[] WORDS = ("Once upon a time there was a little switchboard that routed every request to a "
            + "worker with room and never lost a single token on the way home .").split(" ");

    static final EngineCapabilities CAPABILITIES = new EngineCapabilities(java.util.List.of(), 0, 8,
            java.util.Set.of(io.switchboard.schema.event.Feature.N), true);

    private final String modelId;
    private final long ttftNanos;
    private final long tokenNanos;

    public SimulatedEngine(String modelId, Duration timeToFirstToken, double tokensPerSecond) {
        this.modelId = modelId;
        this.ttftNanos = timeToFirstToken.toNanos();
        this.tokenNanos = (long) (1_000_000_000L / tokensPerSecond);
    }

    @Override
    public String kind() {
        return "simulated";
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public EngineCapabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Generation generate(InferenceJob job, EventSink sink, BooleanSupplier cancelled) {
        return ChoiceFanOut.run(job, sink, cancelled, this::generateOne);
    }

    private Generation generateOne(InferenceJob job, EventSink sink, BooleanSupplier cancelled) {
        int promptTokens = 0;
        for (PromptMessage m : job.messages()) {
            promptTokens += 4 + m.content().split("\\s+").length;
        }
        int max = job.sampling().maxTokens();
        StringBuilder text = new StringBuilder();
        long next = System.nanoTime() + ttftNanos;
        for (int i = 0; i < max; i++) {
            sleepUntil(next, cancelled);
            if (cancelled.getAsBoolean()) {
                return new Generation("stop", promptTokens, i, true);
            }
            int emitted = text.length();
            String token = (i == 0 ? "" : " ") + WORDS[i % WORDS.length];
            text.append(token);
            int cut = firstStop(text, job.sampling().stop());
            if (cut >= 0) {
                if (cut > emitted) {
                    sink.text(text.substring(emitted, cut));
                }
                return new Generation("stop", promptTokens, i + 1, false);
            }
            sink.text(token);
            next += tokenNanos;
        }
        return new Generation("length", promptTokens, max, false);
    }

    private static int firstStop(CharSequence text, java.util.List<String> stops) {
        int cut = -1;
        for (String stop : stops) {
            int at = text.toString().indexOf(stop);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        return cut;
    }

    private static void sleepUntil(long deadline, BooleanSupplier cancelled) {
        for (long left = deadline - System.nanoTime(); left > 0 && !cancelled.getAsBoolean(); left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(Math.min(left, 5_000_000L));
        }
    }

    @Override
    public void close() {
    }
}
