package io.switchboard.router.scheduling;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.interceptor.Interceptor;

import io.quarkus.runtime.Startup;
import io.smallrye.common.annotation.Identifier;
import io.switchboard.router.RouterConfig;

/**
 * Builds the {@link Placement} from {@code switchboard.router.scorers} at start-up, before anything else starts
 * ({@link Startup}): an unknown scorer name or a bad weight fails start-up, not the first dispatch.
 */
@ApplicationScoped
public class PlacementProducer {

    @Produces
    @Startup(Interceptor.Priority.PLATFORM_BEFORE)
    @ApplicationScoped
    Placement placement(RouterConfig config, @Any Instance<Scorer> scorers) {
        List<Placement.WeightedScorer> weighted = weighted(config.scorers(), name -> {
            Instance<Scorer> scorer = scorers.select(Identifier.Literal.of(name));
            return scorer.isResolvable() ? Optional.of(scorer.get()) : Optional.empty();
        });
        Random random = config.tieBreakSeed().map(Random::new).orElseGet(Random::new);
        return new Placement(weighted, random);
    }

    /**
     * The scorers named by {@code entries} ({@code name} or {@code name:weight}, weight 1 by default, non-negative),
     * looked up by name. Throws naming the entry when a name is unknown or a weight is not a number.
     */
    public static List<Placement.WeightedScorer> weighted(List<String> entries, Function<String, Optional<Scorer>> byName) {
        List<Placement.WeightedScorer> weighted = new ArrayList<>();
        for (String entry : entries) {
            String[] parts = entry.split(":", 2);
            String name = parts[0].trim();
            double weight;
            try {
                weight = parts.length > 1 ? Double.parseDouble(parts[1].trim()) : 1.0;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("switchboard.router.scorers: '" + entry + "' has no numeric weight");
            }
            if (!(weight >= 0) || Double.isInfinite(weight)) {
                throw new IllegalArgumentException("switchboard.router.scorers: '" + entry + "' needs a finite weight >= 0");
            }
            Scorer scorer = byName.apply(name).orElseThrow(() -> new IllegalArgumentException(
                    "switchboard.router.scorers: unknown scorer '" + name + "' (known: " + LeastLoadedScorer.NAME + ", "
                            + PrefixAffinityScorer.NAME + ", " + RecentStartScorer.NAME + ")"));
            weighted.add(new Placement.WeightedScorer(scorer, weight));
        }
        if (weighted.isEmpty()) {
            throw new IllegalArgumentException("switchboard.router.scorers: name at least one scorer");
        }
        return weighted;
    }
}
