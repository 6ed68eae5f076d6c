package io.switchboard.schema.event;

/**
 * One message of the conversation, reduced to what an engine needs: its role and its text
 * (content parts already joined by the gateway).
 */
public record PromptMessage(String role, String content) {
}
