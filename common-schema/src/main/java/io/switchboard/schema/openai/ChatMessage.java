package io.switchboard.schema.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * One request message. {@code content} is kept as JSON because OpenAI allows a string, an array of
 * content parts, or null (assistant messages with tool calls); the gateway's message rule checks it.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChatMessage(String role, JsonNode content, String name, JsonNode toolCalls, String toolCallId) {
}
