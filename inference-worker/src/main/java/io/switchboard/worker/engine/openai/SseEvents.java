package io.switchboard.worker.engine.openai;

/**
 * Server-sent events, fed one line at a time: the {@code data:} lines of an event are joined and handed out at the
 * blank line that ends it. An {@code error:} line (some llama.cpp versions send one) becomes an {@code {"error": ...}}
 * event; comments and other fields are skipped.
 */
final class SseEvents {
    private final StringBuilder data = new StringBuilder();
    private boolean pending;

    /** Reads one line; returns an event's data when the line ends one, else null. */
    String line(String line) {
        if (line.isEmpty()) {
            return flush();
        }
        if (line.startsWith("data:")) {
            if (pending) {
                data.append('\n');
            }
            data.append(value(line, 5));
            pending = true;
        } else if (line.startsWith("error:")) {
            String value = value(line, 6);
            data.setLength(0);
            data.append(value.startsWith("{") ? "{\"error\":" + value + "}" : value);
            pending = true;
        }
        return null;
    }

    /** The last event's data when the stream ended without its blank line, else null. */
    String flush() {
        if (!pending) {
            return null;
        }
        String out = data.toString();
        data.setLength(0);
        pending = false;
        return out;
    }

    private static String value(String line, int from) {
        return line.length() > from && line.charAt(from) == ' ' ? line.substring(from + 1) : line.substring(from);
    }
}
