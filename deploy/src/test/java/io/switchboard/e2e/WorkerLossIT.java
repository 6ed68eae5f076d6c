package io.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.KafkaTestClient;
import io.switchboard.testing.UsageTopic;
import io.switchboard.testing.Wait;

/**
 * A worker killed with SIGKILL while its job waits for its first token: the job has sent nothing, so it is not
 * failed; the router takes it back from the dead worker's claim and it runs on another worker, and the client gets
 * its whole answer. Simulated workers on a model id of their own keep the shared workers out of it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerLossIT {
    static final String MODEL = "sim-worker-loss";
    final Cluster cluster = Cluster.get();
    ServiceProcess slow;
    ServiceProcess spare;

    @AfterAll
    void stopTheirWorkers() {
        for (ServiceProcess w : new ServiceProcess[] { slow, spare }) {
            if (w != null) {
                w.close();
            }
        }
    }

    @Test
    void aJobWhoseWorkerDiesBeforeItsFirstTokenRunsElsewhereAndTheClientSeesNoError() throws Exception {
        slow = cluster.startSimulatedWorker("worker-slow", MODEL, 1, 200, Duration.ofSeconds(20));
        slow.awaitReady(Duration.ofSeconds(90));
        Wait.until(Duration.ofSeconds(30), "the gateway lists " + MODEL,
                () -> cluster.gatewayGet("/v1/models").body().contains(MODEL));

        CompletableFuture<HttpResponse<String>> answer = CompletableFuture.supplyAsync(() -> {
            try {
                return cluster.post("""
                        {"model":"%s","messages":[{"role":"user","content":"Hello"}],"max_tokens":8,"stream":true,
                         "stream_options":{"include_usage":true}}""".formatted(MODEL));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Wait.until(Duration.ofSeconds(20), "the slow worker runs the job",
                () -> cluster.workerStatus(slow).path("slots").path("runningJobs").size() == 1);
        String jobId = cluster.workerStatus(slow).path("slots").path("runningJobs").get(0).asText();
        spare = cluster.startSimulatedWorker("worker-spare", MODEL, 1, 200, Duration.ofMillis(5));
        spare.awaitReady(Duration.ofSeconds(90));
        Wait.until(Duration.ofSeconds(30), "the router sees the spare worker",
                () -> cluster.routerWorkers().stream().anyMatch(w -> w.get("workerId").asText().equals("worker-spare")));

        long killedAt = System.nanoTime();
        slow.kill();
        HttpResponse<String> response = answer.get(30, TimeUnit.SECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - killedAt);

        assertThat(response.statusCode()).isEqualTo(200);
        RouterFailoverIT.assertCompleteOnce(response.body());
        assertThat(took).as("answered after the kill").isLessThan(Duration.ofSeconds(5));
        UsageRecord usage = UsageTopic.awaitFirst(jobId, Duration.ofSeconds(20));
        assertThat(usage.workerId()).isEqualTo("worker-spare");
        assertThat(usage.outcome()).isEqualTo(UsageRecord.Outcome.FINISHED);
        assertThat(UsageTopic.recordsOf(jobId, Duration.ofSeconds(2))).hasSize(1);
        // back in line, it was written to the jobs topic again (a router taking over would have run it), and that
        // record was settled once the spare worker took it
        assertThat(KafkaTestClient.all(Topics.JOBS, InferenceJob.class, j -> j.jobId().equals(jobId),
                Duration.ofSeconds(2))).hasSizeGreaterThanOrEqualTo(2);
        Wait.until(Duration.ofSeconds(10), "every record settled",
                () -> cluster.routerGauge("switchboard_router_unsettled_jobs") == 0);
    }
}
