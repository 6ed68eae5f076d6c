package io.switchboard.worker.engine;

/** OpenAI's finish reason for a sequence that was not cancelled. */
final class FinishReasons {
    private FinishReasons() {
    }

    static String of(int completionTokens, int maxTokens) {
        return completionTokens >= maxTokens ? "length" : "stop";
    }
}
