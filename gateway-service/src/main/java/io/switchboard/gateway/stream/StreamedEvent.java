package io.switchboard.gateway.stream;

import io.switchboard.schema.event.TokenEvent;

/** One decoded entry of a job's Redis stream: its entry id (the SSE {@code id:} of what it becomes) and its event. */
public record StreamedEvent(String id, TokenEvent event) {
}
