package io.switchboard.worker.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.worker.engine.InferenceEngine.EventSink;
import io.switchboard.worker.engine.InferenceEngine.Generation;

/**
 * Runs {@code n} choices as {@code n} concurrent sequences, for engines that generate one choice per call (llama.cpp's
 * server refuses {@code n > 1}; the in-process binding has no {@code n}). Choice 0 runs on the calling thread, the
 * others on virtual threads; each choice's pieces are re-indexed, each ends with its own {@code choiceEnd}, and a
 * seeded job gives choice {@code i} the seed {@code seed + i} so the choices differ and stay reproducible. Usage counts
 * the prompt once and sums the completions, as OpenAI does. A choice that fails stops the others, and the job fails.
 */
public final class ChoiceFanOut {
    private ChoiceFanOut() {
    }

    /** Generates one choice of a job (index 0 in its own events; re-indexed here). */
    @FunctionalInterface
    public interface OneChoice {
        Generation generate(InferenceJob job, EventSink sink, BooleanSupplier cancelled);
    }

    public static Generation run(InferenceJob job, EventSink sink, BooleanSupplier cancelled, OneChoice engine) {
        int n = job.options().n();
        if (n == 1) {
            return engine.generate(job, sink, cancelled);
        }
        List<Future<Generation>> others = new ArrayList<>(n - 1);
        // one choice failing ends the job: the others stop too instead of generating for nobody
        AtomicBoolean failed = new AtomicBoolean();
        BooleanSupplier stop = () -> failed.get() || cancelled.getAsBoolean();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 1; i < n; i++) {
                int index = i;
                others.add(threads.submit(() -> failing(failed, () -> choice(job, index, sink, stop, engine))));
            }
            List<Generation> all = new ArrayList<>(n);
            RuntimeException failure = null;
            try {
                all.add(failing(failed, () -> choice(job, 0, sink, stop, engine)));
            } catch (RuntimeException e) {
                failure = e;
            }
            for (Future<Generation> f : others) {
                try {
                    all.add(f.get());
                } catch (ExecutionException e) {
                    failure = failure != null ? failure
                            : e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure = failure != null ? failure : new IllegalStateException("interrupted", e);
                }
            }
            if (failure != null) {
                throw failure;
            }
            return merge(all);
        }
    }

    private static Generation failing(AtomicBoolean failed, java.util.function.Supplier<Generation> choice) {
        try {
            return choice.get();
        } catch (RuntimeException e) {
            failed.set(true);
            throw e;
        }
    }

    private static Generation choice(InferenceJob job, int index, EventSink sink, BooleanSupplier cancelled, OneChoice engine) {
        Generation g = engine.generate(seeded(job, index), new Reindexed(sink, index), cancelled);
        if (!g.cancelled()) {
            sink.choiceEnd(index, g.finishReason());
        }
        return g;
    }

    static Generation merge(List<Generation> all) {
        int prompt = 0;
        int completion = 0;
        Integer cached = null;
        boolean cancelled = false;
        for (Generation g : all) {
            prompt = Math.max(prompt, g.promptTokens());
            completion += g.completionTokens();
            if (g.cachedTokens() != null) {
                cached = cached == null ? g.cachedTokens() : Math.max(cached, g.cachedTokens());
            }
            cancelled |= g.cancelled();
        }
        return new Generation(all.getFirst().finishReason(), prompt, completion, cached, cancelled);
    }

    /** Choice {@code index} of a job: the same job with {@code n = 1} and, when seeded, its own seed. */
    static InferenceJob seeded(InferenceJob job, int index) {
        SamplingParams s = job.sampling();
        SamplingParams sampling = s.seed() == null || index == 0 ? s
                : new SamplingParams(s.temperature(), s.topP(), s.topK(), s.minP(), s.maxTokens(), s.stop(), s.seed() + index,
                        s.presencePenalty(), s.frequencyPenalty(), s.ignoreEos());
        var o = job.options();
        var single = new io.switchboard.schema.event.GenerationOptions(1, o.logprobs(), o.topLogprobs(), o.responseFormat(),
                o.tools(), o.toolChoice(), o.parallelToolCalls(), o.extensions());
        return job.withSampling(sampling).withOptions(single);
    }

    /** Passes one choice's pieces on under its own index. */
    private record Reindexed(EventSink next, int index) implements EventSink {
        @Override
        public void delta(TokenEvent.Delta d) {
            next.delta(new TokenEvent.Delta(d.v(), d.text(), index, d.logprobs(), d.toolCalls(), d.reasoning()));
        }

        @Override
        public void progress(int tokens) {
            next.progress(tokens);
        }

        @Override
        public io.vertx.core.Context context() {
            return next.context();
        }

        @Override
        public void choiceEnd(int ignored, String finishReason) {
            // the fan-out reports each choice's end itself
        }
    }
}
