package io.switchboard.worker.engine;

import io.switchboard.schema.event.FailureCode;

/** A job the engine could not run, with the failure code the client sees. */
public class EngineException extends RuntimeException {
    private final FailureCode code;

    public EngineException(FailureCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public FailureCode code() {
        return code;
    }
}
