package io.switchboard.worker.capacity;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.switchboard.schema.event.JobCompletion;
import io.switchboard.worker.report.RouterReports;

/**
 * Tells the routers that a job left its slot, so the slot is given out again, with the job's real token counts (the
 * router charges them to the tenant's fair share).
 */
@ApplicationScoped
public class CompletionReporter {

    @Inject
    RouterReports reports;

    public void report(JobCompletion completion) {
        reports.completion(completion);
    }
}
