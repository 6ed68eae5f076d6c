package io.switchboard.gateway.limits;

import java.util.List;

import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;

/**
 * What admission reserves for a request before its real token counts are known: the prompt estimated at one token
 * per four characters of each message (rounded up) plus four tokens of chat framing per message and three for the
 * reply's start, plus the request's effective {@code max_tokens}. The reservation is replaced by the real usage when
 * the job ends, so the estimate only decides admission, never what is billed.
 */
public final class TokenEstimator {
    private TokenEstimator() {
    }

    public static long promptTokens(List<PromptMessage> messages) {
        long tokens = 3;
        for (PromptMessage m : messages) {
            tokens += 4 + (m.content().length() + 3) / 4;
        }
        return tokens;
    }

    /** Prompt estimate plus the most the job may generate. */
    public static long reservation(InferenceJob job) {
        return promptTokens(job.messages()) + job.sampling().maxTokens();
    }
}
