package io.switchboard.worker.engine;

import java.util.Map;
import java.util.TreeSet;

/** Picks the configured engine kind among the known ones; an unknown name fails with the list of known names. */
final class EngineChoice {
    private EngineChoice() {
    }

    static <T> T choose(String name, Map<String, T> known) {
        T chosen = known.get(name);
        if (chosen == null) {
            throw new IllegalArgumentException("switchboard.worker.engine must be one of "
                    + String.join(", ", new TreeSet<>(known.keySet())) + ", not '" + name + "'");
        }
        return chosen;
    }
}
