package io.switchboard.schema.event;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import io.switchboard.schema.openai.Usage;

/**
 * What a job's Redis stream carries, in order: any number of {@link Delta}s, then exactly one
 * terminal event, {@link Finish} or {@link Failure}. Nothing follows a terminal event.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = TokenEvent.Delta.class, name = "delta"),
        @JsonSubTypes.Type(value = TokenEvent.Finish.class, name = "finish"),
        @JsonSubTypes.Type(value = TokenEvent.Failure.class, name = "failure")
})
public sealed interface TokenEvent {
    int VERSION = 1;

    int v();

    default boolean terminal() {
        return !(this instanceof Delta);
    }

    /** Generated text, in order; one or more tokens. */
    record Delta(int v, String text) implements TokenEvent {
        public static Delta of(String text) {
            return new Delta(VERSION, text);
        }
    }

    /** The job ended normally: why, and the real token counts of the model's tokenizer. */
    record Finish(int v, String finishReason, Usage usage) implements TokenEvent {
        public static Finish of(String finishReason, Usage usage) {
            return new Finish(VERSION, finishReason, usage);
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
