package io.switchboard.schema.openai;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The {@code logprobs} of a choice (whole answer) or of a stream chunk's choice (its tokens). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChoiceLogprobs(
        @JsonInclude(JsonInclude.Include.ALWAYS) List<TokenLogprob> content,
        @JsonInclude(JsonInclude.Include.ALWAYS) List<TokenLogprob> refusal) {

    public static ChoiceLogprobs of(List<TokenLogprob> content) {
        return new ChoiceLogprobs(List.copyOf(content), null);
    }
}
