package io.switchboard.schema.event;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import io.switchboard.schema.openai.TokenLogprob;
import io.switchboard.schema.openai.ToolCall;
import io.switchboard.schema.openai.Usage;

/**
 * What a job's Redis stream carries, in order: any number of {@link Delta}s and {@link ChoiceEnd}s, then exactly one
 * terminal event, {@link Finish} or {@link Failure}. Nothing follows a terminal event.
 * <p>
 * v2 added choices ({@code n > 1}): a delta names its choice {@code index}, and may carry the logprobs of its tokens,
 * tool-call pieces and reasoning text; a {@link ChoiceEnd} ends one choice while others go on. A choice with no
 * {@code ChoiceEnd} ends with the {@link Finish}'s reason. v1 events (no index, no choice ends) read as choice 0.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = TokenEvent.Delta.class, name = "delta"),
        @JsonSubTypes.Type(value = TokenEvent.ChoiceEnd.class, name = "choice_end"),
        @JsonSubTypes.Type(value = TokenEvent.Finish.class, name = "finish"),
        @JsonSubTypes.Type(value = TokenEvent.Failure.class, name = "failure")
})
public sealed interface TokenEvent {
    int VERSION = 2;

    int v();

    default boolean terminal() {
        return true;
    }

    /** The provider that served the job, where this event names it (a stream's first delta or finish); else null. */
    default String provider() {
        return null;
    }

    /**
     * What choice {@code index} generated next, in order: text (one or more tokens; empty when the piece is only a tool
     * call), the logprobs of those tokens when asked for, tool-call pieces, and reasoning text (a model's thinking,
     * kept apart from its answer).
     */
    record Delta(int v, String text, int index, List<TokenLogprob> logprobs, List<ToolCall.Chunk> toolCalls,
            String reasoning, String provider) implements TokenEvent {
        public Delta {
            text = text == null ? "" : text;
            logprobs = logprobs == null || logprobs.isEmpty() ? null : List.copyOf(logprobs);
            toolCalls = toolCalls == null || toolCalls.isEmpty() ? null : List.copyOf(toolCalls);
            reasoning = reasoning == null || reasoning.isEmpty() ? null : reasoning;
        }

        /** A delta that does not say who served the job (every one but a stream's first). */
        public Delta(int v, String text, int index, List<TokenLogprob> logprobs, List<ToolCall.Chunk> toolCalls,
                String reasoning) {
            this(v, text, index, logprobs, toolCalls, reasoning, null);
        }

        /** A v1 delta: text of choice 0. */
        public Delta(int v, String text) {
            this(v, text, 0, null, null, null, null);
        }

        /** The same delta, saying which provider served the job ({@link Providers}): the stream's first event does. */
        public Delta servedBy(String by) {
            return new Delta(v, text, index, logprobs, toolCalls, reasoning, by);
        }

        public static Delta of(String text) {
            return new Delta(VERSION, text, 0, null, null, null);
        }

        public static Delta of(int index, String text) {
            return new Delta(VERSION, text, index, null, null, null);
        }

        public static Delta of(int index, String text, List<TokenLogprob> logprobs) {
            return new Delta(VERSION, text, index, logprobs, null, null);
        }

        public static Delta toolCalls(int index, List<ToolCall.Chunk> toolCalls) {
            return new Delta(VERSION, "", index, null, toolCalls, null);
        }

        public static Delta reasoning(int index, String reasoning) {
            return new Delta(VERSION, "", index, null, null, reasoning);
        }

        @Override
        public boolean terminal() {
            return false;
        }

        /** True when it carries nothing a client would see. */
        public boolean empty() {
            return text.isEmpty() && logprobs == null && toolCalls == null && reasoning == null;
        }
    }

    /** Choice {@code index} ended (with {@code n > 1}, while other choices may still be generating). */
    record ChoiceEnd(int v, int index, String finishReason) implements TokenEvent {
        public static ChoiceEnd of(int index, String finishReason) {
            return new ChoiceEnd(VERSION, index, finishReason);
        }

        @Override
        public boolean terminal() {
            return false;
        }
    }

    /**
     * The job ended normally: why (for every choice that had no {@link ChoiceEnd}), and the real token counts of the
     * model's tokenizer, summed over choices.
     */
    record Finish(int v, String finishReason, Usage usage, String provider) implements TokenEvent {
        public Finish(int v, String finishReason, Usage usage) {
            this(v, finishReason, usage, null);
        }

        public static Finish of(String finishReason, Usage usage) {
            return new Finish(VERSION, finishReason, usage, null);
        }

        /** The same finish, saying which provider served the job (when it is the stream's first event). */
        public Finish servedBy(String by) {
            return new Finish(v, finishReason, usage, by);
        }
    }

    /**
     * The job ended with an error. {@code status} is the HTTP status the gateway answers with while it
     * has not begun the response; once streaming has begun the error goes in-band. {@code retryAfterMs}, present
     * for a refusal for load, becomes the answer's {@code Retry-After}; failures written before it existed have none.
     */
    record Failure(int v, String code, String message, int status, Long retryAfterMs) implements TokenEvent {
        public static Failure of(FailureCode code, String message) {
            return of(code, message, null);
        }

        public static Failure of(FailureCode code, String message, Long retryAfterMs) {
            return new Failure(VERSION, code.wire(), message, code.status(), retryAfterMs);
        }
    }
}
