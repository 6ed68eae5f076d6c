package io.switchboard.worker.engine;

import java.util.function.BooleanSupplier;

import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.TokenEvent;

/**
 * Runs one job on the calling thread: all of its choices ({@code n}), streaming what each produces as
 * {@link TokenEvent.Delta}s (text, logprobs, tool-call pieces, reasoning) to an {@link EventSink}. Implementations
 * support concurrent calls up to the worker's slot count (batched by the engine where it can).
 * <p>
 * An engine declares what it serves and can do ({@link #capabilities()}); the gateway refuses a request that needs more
 * before it is published, so {@code generate} may assume the job only asks for declared features. Engines are chosen
 * by name in configuration ({@link EngineProducer}).
 */
public interface InferenceEngine extends AutoCloseable {

    /** The engine kind, as announced in heartbeats ({@code llama}, {@code simulated}, {@code openai}, ...). */
    String kind();

    /** The model id this engine serves. */
    String modelId();

    /** Aliases, context length, features; {@code available} false while the engine cannot serve. */
    EngineCapabilities capabilities();

    /**
     * Generates the job's choices, handing every piece to {@code sink} as it is produced, and stops early (returning
     * what was produced) once {@code cancelled} answers true.
     *
     * @throws EngineException when the job cannot run (context overflow, an unsupported request) or the engine fails
     */
    Generation generate(InferenceJob job, EventSink sink, BooleanSupplier cancelled);

    /**
     * Where an engine's output goes. Calls may come from several threads (one per choice); the worker serialises them.
     */
    interface EventSink {
        /** The next piece of one choice. */
        void delta(TokenEvent.Delta delta);

        /** Choice {@code index} ended; only needed when a job has several choices that end apart. */
        void choiceEnd(int index, String finishReason);

        /**
         * {@code tokens} more tokens were generated that are not handed on yet (an answer read whole before it is
         * passed on): counted as the job's progress. An engine that calls it counts all of its tokens this way.
         */
        default void progress(int tokens) {
        }

        /**
         * The Vert.x context this sink writes from (null: none): an engine that reads its tokens on an event loop reads
         * them on this one, so each token reaches the sink's connection without a hand-over to another thread.
         */
        default io.vertx.core.Context context() {
            return null;
        }

        /** Plain text of choice 0. */
        default void text(String text) {
            delta(TokenEvent.Delta.of(text));
        }

        /** A sink that keeps only the text of every piece, whatever its choice (tests, tools). */
        static EventSink texts(java.util.function.Consumer<String> onText) {
            return new EventSink() {
                @Override
                public void delta(TokenEvent.Delta delta) {
                    if (!delta.text().isEmpty()) {
                        onText.accept(delta.text());
                    }
                }

                @Override
                public void choiceEnd(int index, String finishReason) {
                }
            };
        }
    }

    /**
     * How a job ended: {@code finishReason} is OpenAI's ({@code stop}, {@code length}, {@code tool_calls}) for the
     * choices that did not report their own end; token counts are summed over choices (the prompt counted once), and
     * {@code cachedTokens} is the engine's count of prompt tokens served from its cache (null when it does not say).
     */
    record Generation(String finishReason, int promptTokens, int completionTokens, Integer cachedTokens, boolean cancelled) {
        public Generation(String finishReason, int promptTokens, int completionTokens, boolean cancelled) {
            this(finishReason, promptTokens, completionTokens, null, cancelled);
        }
    }

    @Override
    void close();
}
