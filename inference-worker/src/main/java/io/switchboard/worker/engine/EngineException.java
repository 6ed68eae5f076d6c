package io.switchboard.worker.engine;

import io.switchboard.schema.event.FailureCode;

/**
 * A job the engine could not run, with the failure code the client sees and the tokens used before it failed
 * (0 and 0 when it failed before the prompt was evaluated).
 */
public class EngineException extends RuntimeException {
    private final FailureCode code;
    private final int promptTokens;
    private final int completionTokens;

    public EngineException(FailureCode code, String message, Throwable cause) {
        this(code, message, cause, 0, 0);
    }

    public EngineException(FailureCode code, String message, Throwable cause, int promptTokens, int completionTokens) {
        super(message, cause);
        this.code = code;
        this.promptTokens = promptTokens;
        this.completionTokens = completionTokens;
    }

    public FailureCode code() {
        return code;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int completionTokens() {
        return completionTokens;
    }
}
