package io.switchboard.testing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Stopping the processes tests start. */
public final class Processes {
    private Processes() {
    }

    /** SIGTERM, then SIGKILL if the process has not exited within {@code grace}. */
    public static void stop(Process process, Duration grace) {
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
