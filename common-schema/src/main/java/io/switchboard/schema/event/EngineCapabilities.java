package io.switchboard.schema.event;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a worker's engine serves and can do, announced in its heartbeats.
 *
 * @param aliases       other names a request may use for the worker's model
 * @param contextLength tokens of context per sequence (prompt and completion), 0 when unknown
 * @param maxN          the most choices one request may ask for ({@code n}); 1 without {@link Feature#N}
 * @param features      what it supports beyond plain text
 * @param available     false while the engine cannot serve (a managed engine restarting): the worker takes no jobs
 */
public record EngineCapabilities(List<String> aliases, int contextLength, int maxN, Set<Feature> features,
        boolean available) {

    /** Decodes {@code available} as true when a heartbeat leaves it out: only an engine that says so is unavailable. */
    @com.fasterxml.jackson.annotation.JsonCreator
    static EngineCapabilities decode(@com.fasterxml.jackson.annotation.JsonProperty("aliases") List<String> aliases,
            @com.fasterxml.jackson.annotation.JsonProperty("contextLength") int contextLength,
            @com.fasterxml.jackson.annotation.JsonProperty("maxN") int maxN,
            @com.fasterxml.jackson.annotation.JsonProperty("features") Set<Feature> features,
            @com.fasterxml.jackson.annotation.JsonProperty("available") Boolean available) {
        return new EngineCapabilities(aliases, contextLength, maxN, features, available == null || available);
    }

    public EngineCapabilities {
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
        // in declaration order, so heartbeats encode the same way every time
        java.util.EnumSet<Feature> known = java.util.EnumSet.noneOf(Feature.class);
        if (features != null) {
            features.stream().filter(Objects::nonNull).forEach(known::add);
        }
        features = java.util.Collections.unmodifiableSet(known);
        maxN = Math.max(1, maxN);
    }

    /** Plain text only: what a heartbeat written before capabilities existed means. */
    public static final EngineCapabilities TEXT_ONLY = new EngineCapabilities(List.of(), 0, 1, Set.of(), true);

    public boolean supports(Feature feature) {
        return features.contains(feature);
    }

    public EngineCapabilities withAvailable(boolean now) {
        return now == available ? this : new EngineCapabilities(aliases, contextLength, maxN, features, now);
    }
}
