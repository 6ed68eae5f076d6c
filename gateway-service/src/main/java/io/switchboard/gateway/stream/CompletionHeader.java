package io.switchboard.gateway.stream;

/**
 * What every chunk of one chat completion repeats: {@code id} (the job id), {@code created} (epoch seconds),
 * {@code model} and {@code system_fingerprint}. A resumed stream rebuilds it from the job's meta hash, so its chunks
 * are the ones the original stream would have sent.
 */
public record CompletionHeader(String id, long created, String model, String fingerprint) {
}
