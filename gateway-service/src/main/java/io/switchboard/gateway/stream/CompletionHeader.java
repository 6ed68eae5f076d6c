package io.switchboard.gateway.stream;

/**
 * What every chunk of one chat completion repeats: {@code id} (the job id), {@code created} (epoch seconds),
 * {@code model} and {@code system_fingerprint}; and how the answer is shaped: {@code n} choices, with logprobs or not.
 * A resumed stream rebuilds it from the job's meta hash, so its chunks are the ones the original stream would have sent.
 */
public record CompletionHeader(String id, long created, String model, String fingerprint, int n, boolean logprobs) {

    public CompletionHeader {
        n = Math.max(1, n);
    }

    /** One choice without logprobs. */
    public CompletionHeader(String id, long created, String model, String fingerprint) {
        this(id, created, model, fingerprint, 1, false);
    }
}
