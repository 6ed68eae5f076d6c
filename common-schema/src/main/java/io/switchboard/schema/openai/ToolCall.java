package io.switchboard.schema.openai;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * OpenAI {@code ChatCompletionMessageToolCall}: a call the model made, in a response message (every field set) or,
 * as {@link Chunk}, a streamed piece of one.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ToolCall(String id, String type, Function function) {
    public static final String FUNCTION = "function";

    public static ToolCall function(String id, String name, String arguments) {
        return new ToolCall(id, FUNCTION, new Function(name, arguments));
    }

    /** The function called and its arguments as JSON text (a fragment of it, in a stream chunk). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Function(String name, String arguments) {
    }

    /**
     * OpenAI {@code ChatCompletionMessageToolCallChunk}: the first chunk of a call carries its {@code index}, {@code id},
     * {@code type} and name with empty arguments; later ones carry the index and an argument fragment only.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Chunk(int index, String id, String type, Function function) {
        public static Chunk start(int index, String id, String name) {
            return new Chunk(index, id, FUNCTION, new Function(name, ""));
        }

        public static Chunk arguments(int index, String fragment) {
            return new Chunk(index, null, null, new Function(null, fragment));
        }
    }
}
