package io.switchboard.worker.capacity;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.redis.client.Response;
import io.switchboard.schema.wire.RedisKeys;

/**
 * Cancels a running job nobody reads any more. While a gateway relays a job's stream it keeps the job's reader key
 * ({@link RedisKeys#jobReader}) alive; when a client's connection broke (or its gateway died) the key lapses after the
 * resume grace, and if nobody resumed by then the job is cancelled ({@code client_gone}) instead of generating for
 * no one. Only a job whose reader key this watch has seen is ever cancelled by it, so a job read by a gateway that
 * keeps no reader key runs as before. Checked once a second; counted in
 * {@code switchboard_worker_unread_jobs_cancelled_total}.
 */
@ApplicationScoped
public class ReaderWatch {
    private static final Logger LOG = Logger.getLogger(ReaderWatch.class);
    static final String REASON = "client_gone";

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "reader-watch");
        t.setDaemon(true);
        return t;
    });
    private final Set<String> seen = new HashSet<>();

    @Inject
    RedisDataSource redis;
    @Inject
    SlotPool slots;
    @Inject
    MeterRegistry meters;

    private Counter cancelled;

    void start(@Observes StartupEvent ignored) {
        cancelled = meters.counter("switchboard_worker_unread_jobs_cancelled_total");
        timer.scheduleWithFixedDelay(this::check, 1, 1, TimeUnit.SECONDS);
    }

    void stop(@Observes ShutdownEvent ignored) {
        timer.shutdownNow();
    }

    private void check() {
        try {
            List<String> running = slots.status().runningJobs();
            seen.retainAll(running);
            for (String jobId : running) {
                Response exists = redis.execute("EXISTS", RedisKeys.jobReader(jobId));
                boolean read = exists != null && exists.toInteger() > 0;
                if (read) {
                    seen.add(jobId);
                } else if (seen.remove(jobId)) {
                    LOG.infof("job %s: nobody has read its stream for the resume grace; cancelling it", jobId);
                    cancelled.increment();
                    slots.cancel(jobId, REASON);
                }
            }
        } catch (RuntimeException e) {
            LOG.debugf("reader watch skipped a round: %s", e.getMessage());
        }
    }
}
