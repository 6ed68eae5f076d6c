package io.switchboard.schema.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A tenant's class of service: the router's priority band. Strict between bands ({@link #CRITICAL} before
 * {@link #STANDARD} before {@link #BATCH}); a request's own {@code priority} only orders it within its band,
 * and nothing a client sends lifts it above its tenant's class ({@code service_tier: "flex"} moves it down to
 * {@link #BATCH}).
 */
public enum ServiceClass {
    CRITICAL("critical"), STANDARD("standard"), BATCH("batch");

    private final String wire;

    ServiceClass(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wire() {
        return wire;
    }

    /** Lower runs first. */
    public int rank() {
        return ordinal();
    }

    /** The class named {@code wire} ({@code critical}, {@code standard}, {@code batch}); null for null. */
    @JsonCreator
    public static ServiceClass of(String wire) {
        if (wire == null) {
            return null;
        }
        for (ServiceClass c : values()) {
            if (c.wire.equals(wire)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown service class '" + wire + "' (critical, standard or batch)");
    }

    /** The lower of two classes: a request can move its tenant's class down, never up. */
    public ServiceClass atMost(ServiceClass other) {
        return other.rank() > rank() ? other : this;
    }
}
