package io.switchboard.schema.event;

/**
 * Where a job may run (seed 000's {@code provider: 'local' | 'cloud'}): on the fleet's own workers, or on a worker that
 * drives a cloud provider. A worker announces which it is in its heartbeats; a request may force one, else it runs
 * locally and overflows to the cloud only when local capacity is saturated or down.
 */
public final class Providers {
    public static final String LOCAL = "local";
    public static final String CLOUD = "cloud";

    private Providers() {
    }

    public static boolean valid(String provider) {
        return LOCAL.equals(provider) || CLOUD.equals(provider);
    }
}
