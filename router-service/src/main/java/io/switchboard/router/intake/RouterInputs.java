package io.switchboard.router.intake;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Incoming;

import io.switchboard.router.dispatch.RouterLoop;
import io.switchboard.schema.event.CancelJob;

/**
 * The router's Kafka input besides the jobs ({@link JobsIntake}): cancels, handed to the {@link RouterLoop}. The
 * workers' reports come through Redis ({@link RouterInboxReader}). Undecodable records arrive as null and are skipped.
 */
@ApplicationScoped
public class RouterInputs {

    @Inject
    RouterLoop loop;

    @Incoming("cancels")
    public void cancel(CancelJob cancel) {
        if (cancel != null) {
            loop.cancelled(cancel.jobId(), cancel.reason());
        }
    }
}
