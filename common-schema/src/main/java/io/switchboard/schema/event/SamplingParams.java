package io.switchboard.schema.event;

import java.util.List;

/**
 * The sampling parameters of a job, already validated and defaulted by the gateway
 * ({@code maxTokens} is the effective limit: {@code max_completion_tokens}, else {@code max_tokens},
 * else the gateway's default).
 */
public record SamplingParams(
        double temperature,
        double topP,
        Integer topK,
        Double minP,
        int maxTokens,
        List<String> stop,
        Long seed,
        double presencePenalty,
        double frequencyPenalty,
        boolean ignoreEos) {

    public SamplingParams {
        stop = stop == null ? List.of() : List.copyOf(stop);
    }
}
