package io.switchboard.worker.engine.openai;

import java.util.HashMap;
import java.util.Map;

/** Reads Prometheus' text format into one value per metric name, summed over label sets (vLLM labels by model). */
final class PrometheusText {
    private PrometheusText() {
    }

    static Map<String, Double> parse(String text) {
        Map<String, Double> out = new HashMap<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int labels = line.indexOf('{');
            int space = labels >= 0 ? line.indexOf(' ', line.lastIndexOf('}')) : line.indexOf(' ');
            if (space < 0) {
                continue;
            }
            String name = line.substring(0, labels >= 0 && labels < space ? labels : space);
            String[] rest = line.substring(space + 1).strip().split("\\s+");
            try {
                out.merge(name, Double.parseDouble(rest[0]), Double::sum);
            } catch (NumberFormatException ignored) {
                // a sample this reader does not understand is skipped
            }
        }
        return out;
    }
}
