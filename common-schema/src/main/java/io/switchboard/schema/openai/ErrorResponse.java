package io.switchboard.schema.openai;

import com.fasterxml.jackson.annotation.JsonInclude;

/** OpenAI error envelope: {@code {"error":{"message","type","param","code"}}}; param and code may be null. */
public record ErrorResponse(ErrorBody error) {

    public static ErrorResponse of(String message, String type, String param, String code) {
        return new ErrorResponse(new ErrorBody(message, type, param, code));
    }

    public record ErrorBody(
            String message,
            String type,
            @JsonInclude(JsonInclude.Include.ALWAYS) String param,
            @JsonInclude(JsonInclude.Include.ALWAYS) String code) {
    }
}
