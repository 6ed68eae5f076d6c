package io.switchboard.gateway.limits;

/**
 * The outcome of admission: admitted (with its reservation, null when nothing was counted) or refused by a named
 * limit, with the time after which the same request would fit; and the rate-limit headers either way.
 * {@code holdsConcurrency}: the job counts against a limit of concurrent requests until it ends.
 */
public record AdmissionDecision(boolean admitted, String refusedBy, long retryAfterMs, RateLimitStatus status,
        Reservation reservation, boolean holdsConcurrency) {

    /** A caller without counted limits: admitted, nothing reserved, no headers. */
    public static final AdmissionDecision UNLIMITED = new AdmissionDecision(true, null, 0, RateLimitStatus.NONE, null,
            false);
}
