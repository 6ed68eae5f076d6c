package io.switchboard.gateway.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.wire.Json;

/** Reads an SSE body the way an EventSource does: events split at blank lines, each with its data and id fields. */
final class Sse {
    private Sse() {
    }

    record Event(String raw, String data, String id) {
        JsonNode json() {
            try {
                return Json.MAPPER.readTree(data);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + data, e);
            }
        }

        /** The text of a content chunk, "" for any other event. */
        String content() {
            if (data.startsWith("[") || !data.startsWith("{")) {
                return "";
            }
            JsonNode c = json().at("/choices/0/delta/content");
            return c.isMissingNode() || c.isNull() ? "" : c.asText();
        }
    }

    static List<Event> events(String body) {
        List<Event> out = new ArrayList<>();
        for (String raw : body.split("\n\n")) {
            if (raw.isEmpty()) {
                continue;
            }
            String data = null;
            String id = null;
            for (String line : raw.split("\n")) {
                if (line.startsWith("data: ")) {
                    data = line.substring("data: ".length());
                } else if (line.startsWith("id: ")) {
                    id = line.substring("id: ".length());
                }
            }
            out.add(new Event(raw + "\n\n", data, id));
        }
        return out;
    }

    /** The body made of these events, as the gateway wrote them. */
    static String join(List<Event> events) {
        return String.join("", events.stream().map(Event::raw).toList());
    }

    static String text(String body) {
        return String.join("", events(body).stream().map(Event::content).toList());
    }

    static List<String> ids(String body) {
        return Arrays.asList(events(body).stream().map(Event::id).toArray(String[]::new));
    }
}
