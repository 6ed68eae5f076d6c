package io.switchboard.gateway.limits;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;

/**
 * What admission reserves for a request before its real token counts are known: an upper bound of its prompt plus
 * its effective {@code max_tokens}. The prompt bound is one token per UTF-8 byte of each message (a byte-level
 * tokenizer never makes more tokens than bytes), plus {@value #PER_MESSAGE} tokens of chat framing per message and
 * {@value #PER_REQUEST} for what the chat template adds around them. The reservation is replaced by the real usage
 * when the job ends, so the bound only decides admission, never what is billed; being an upper bound, it keeps
 * concurrent requests from overshooting a budget together.
 */
public final class TokenEstimator {
    static final int PER_MESSAGE = 8;
    static final int PER_REQUEST = 32;

    private TokenEstimator() {
    }

    public static long promptTokens(List<PromptMessage> messages) {
        long tokens = PER_REQUEST;
        for (PromptMessage m : messages) {
            tokens += PER_MESSAGE + m.content().getBytes(StandardCharsets.UTF_8).length;
        }
        return tokens;
    }

    /** Prompt bound plus the most the job may generate: max tokens for each of its {@code n} choices. */
    public static long reservation(InferenceJob job) {
        return promptTokens(job.messages()) + (long) job.options().n() * job.sampling().maxTokens();
    }
}
