package io.switchboard.gateway.stream;

/**
 * A job stream entry the gateway cannot turn into an answer: not JSON, not a {@link io.switchboard.schema.event.TokenEvent}
 * ({@code undecodable}), or of a type this version does not know ({@code unknown}). The request ends with an error and
 * the job is cancelled; nothing after the entry is read.
 */
public final class BadEventException extends RuntimeException {
    private final String kind;

    public BadEventException(String jobId, String entryId, String kind, String detail) {
        super("job " + jobId + ": stream entry " + entryId + " is " + kind + ": " + detail, null, false, false);
        this.kind = kind;
    }

    /** {@code undecodable} or {@code unknown}: the metric's label. */
    public String kind() {
        return kind;
    }
}
