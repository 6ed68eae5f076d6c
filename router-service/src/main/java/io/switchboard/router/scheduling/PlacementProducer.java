package io.switchboard.router.scheduling;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;

import io.smallrye.common.annotation.Identifier;
import io.switchboard.router.RouterConfig;

/** Builds the {@link Placement} from {@code switchboard.router.scorers}; an unknown scorer name fails start-up. */
@ApplicationScoped
public class PlacementProducer {

    @Produces
    @ApplicationScoped
    Placement placement(RouterConfig config, @Any Instance<Scorer> scorers) {
        List<Placement.WeightedScorer> weighted = new ArrayList<>();
        for (String entry : config.scorers()) {
            String[] parts = entry.split(":", 2);
            String name = parts[0].trim();
            double weight = parts.length > 1 ? Double.parseDouble(parts[1].trim()) : 1.0;
            Instance<Scorer> scorer = scorers.select(Identifier.Literal.of(name));
            if (!scorer.isResolvable()) {
                throw new IllegalArgumentException("switchboard.router.scorers: unknown scorer '" + name + "'");
            }
            weighted.add(new Placement.WeightedScorer(scorer.get(), weight));
        }
        Random random = config.tieBreakSeed().map(Random::new).orElseGet(Random::new);
        return new Placement(weighted, random);
    }
}
