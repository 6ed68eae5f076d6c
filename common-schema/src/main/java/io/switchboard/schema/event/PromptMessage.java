package io.switchboard.schema.event;

import java.util.List;

import io.switchboard.schema.openai.ToolCall;

/**
 * One message of the conversation, reduced to what an engine needs: its role and its text (content parts already
 * joined by the gateway), and, for tool use, the calls an assistant message made ({@code toolCalls}), the call a
 * {@code tool} message answers ({@code toolCallId}), and the author's {@code name}.
 */
public record PromptMessage(String role, String content, String name, List<ToolCall> toolCalls, String toolCallId) {

    public PromptMessage {
        toolCalls = toolCalls == null || toolCalls.isEmpty() ? null : List.copyOf(toolCalls);
    }

    public PromptMessage(String role, String content) {
        this(role, content, null, null, null);
    }
}
