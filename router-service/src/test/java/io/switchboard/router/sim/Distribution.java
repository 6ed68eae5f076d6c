package io.switchboard.router.sim;

import java.util.Random;

/**
 * A distribution of token counts, written in a scenario as {@code fixed:N}, {@code uniform:MIN:MAX} or
 * {@code exp:MEAN} (exponential, at least 1), or a bare number (fixed).
 */
record Distribution(String kind, double a, double b) {

    static Distribution parse(String text) {
        String[] p = text.trim().split(":");
        return switch (p[0]) {
            case "fixed" -> new Distribution("fixed", Double.parseDouble(p[1]), 0);
            case "uniform" -> new Distribution("uniform", Double.parseDouble(p[1]), Double.parseDouble(p[2]));
            case "exp" -> new Distribution("exp", Double.parseDouble(p[1]), 0);
            default -> new Distribution("fixed", Double.parseDouble(p[0]), 0);
        };
    }

    int sample(Random random) {
        double x = switch (kind) {
            case "uniform" -> a + random.nextDouble() * (b - a);
            case "exp" -> -a * Math.log(1 - random.nextDouble());
            default -> a;
        };
        return (int) Math.max(1, Math.round(x));
    }

    double mean() {
        return switch (kind) {
            case "uniform" -> (a + b) / 2;
            default -> a;
        };
    }

    @Override
    public String toString() {
        return switch (kind) {
            case "uniform" -> "uniform:" + (long) a + ":" + (long) b;
            case "exp" -> "exp:" + (long) a;
            default -> "fixed:" + (long) a;
        };
    }
}
