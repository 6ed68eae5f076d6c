package io.switchboard.schema.openai;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * OpenAI {@code ChatCompletionTokenLogprob}: one generated token, its log probability, its UTF-8 bytes (null when the
 * token is not a whole character), and the {@code top_logprobs} most likely alternatives at that position.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TokenLogprob(
        String token,
        double logprob,
        @JsonInclude(JsonInclude.Include.ALWAYS) List<Integer> bytes,
        @JsonInclude(JsonInclude.Include.ALWAYS) List<Top> topLogprobs) {

    public TokenLogprob {
        bytes = bytes == null ? null : List.copyOf(bytes);
        topLogprobs = topLogprobs == null ? List.of() : List.copyOf(topLogprobs);
    }

    /** One alternative at a position. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Top(String token, double logprob, @JsonInclude(JsonInclude.Include.ALWAYS) List<Integer> bytes) {
        public Top {
            bytes = bytes == null ? null : List.copyOf(bytes);
        }
    }

    /** The UTF-8 bytes of {@code token}, as OpenAI lists them (unsigned). */
    public static List<Integer> utf8(String token) {
        byte[] raw = token.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Integer[] out = new Integer[raw.length];
        for (int i = 0; i < raw.length; i++) {
            out[i] = raw[i] & 0xff;
        }
        return List.of(out);
    }
}
