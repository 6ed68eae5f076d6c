package io.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.event.UsageRecord;
import io.switchboard.testing.OpenAiSchemas;
import io.switchboard.testing.UsageTopic;
import io.switchboard.testing.Wait;

/**
 * Workers that stop mid-request, each serving a model id of its own so the shared workers stay out of it:
 * one frozen with SIGSTOP (no heartbeats, no tokens, connections left open), whose jobs the router fails
 * when the silence lasts past its timeout; one asked to stop with SIGTERM, which ends its streams with an
 * error itself. Either way the client gets an error, never a hang.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StoppedWorkerIT {
    static final String DOOMED_MODEL = "stories260K-doomed";
    static final String LEAVING_MODEL = "stories260K-leaving";
    final Cluster cluster = Cluster.get();
    ServiceProcess doomed;
    ServiceProcess leaving;

    @BeforeAll
    void startTheirOwnWorkers() throws Exception {
        doomed = cluster.startWorker("worker-doomed", DOOMED_MODEL);
        leaving = cluster.startWorker("worker-leaving", LEAVING_MODEL);
        for (ServiceProcess w : List.of(doomed, leaving)) {
            w.awaitReady(Duration.ofSeconds(90));
            Wait.until(Duration.ofSeconds(30), "router and gateway see " + w.name,
                    () -> cluster.routerWorkers().stream().anyMatch(r -> r.get("workerId").asText().equals(w.name))
                            && cluster.gatewayGet("/v1/models").body().contains(w.name.equals("worker-doomed") ? DOOMED_MODEL
                                    : LEAVING_MODEL));
        }
    }

    @AfterAll
    void stopTheirOwnWorkers() {
        for (ServiceProcess w : new ServiceProcess[] { doomed, leaving }) {
            if (w != null) {
                w.close();
            }
        }
    }

    @Test
    void workerAskedToStopEndsItsStreamsWithAnErrorAtOnce() throws Exception {
        List<String> events = streamUntilEnd(LEAVING_MODEL, leaving::terminate);

        assertThat(events.get(events.size() - 1)).isEqualTo("data: [DONE]");
        JsonNode e = Cluster.json(events.get(events.size() - 2).substring("data: ".length())).get("error");
        // worker_shutting_down comes from the worker itself; the router's silence timeout would say worker_lost
        assertThat(e.get("code").asText()).isEqualTo("worker_shutting_down");
        Wait.until(Duration.ofSeconds(20), "the worker process exits", () -> !leaving.alive());
    }

    @Test
    void requestsOnAStoppedWorkerEndWithAnErrorNotAHang() throws Exception {
        long start = System.nanoTime();
        List<String> events = streamUntilEnd(DOOMED_MODEL, doomed::freeze);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(events.get(events.size() - 1)).isEqualTo("data: [DONE]");
        String error = events.get(events.size() - 2);
        assertThat(error).startsWith("data: {\"error\"");
        OpenAiSchemas.assertValid("ErrorResponse", error.substring("data: ".length()));
        JsonNode e = Cluster.json(error.substring("data: ".length())).get("error");
        assertThat(e.get("code").asText()).isEqualTo("worker_lost");
        assertThat(took).isLessThan(Duration.ofSeconds(30));

        // the job whose worker was lost is accounted for once, by the router, as failed
        String jobId = Cluster.json(events.get(0).substring("data: ".length())).get("id").asText();
        UsageRecord usage = UsageTopic.awaitFirst(jobId, Duration.ofSeconds(20));
        assertThat(usage.outcome()).isEqualTo(UsageRecord.Outcome.FAILED);
        assertThat(usage.detail()).isEqualTo("worker_lost");
        assertThat(UsageTopic.recordsOf(jobId, Duration.ofSeconds(2))).hasSize(1);

        // the worker is gone from the registry; a new request for its model fails with 503, not a hang
        Wait.until(Duration.ofSeconds(10), "router drops the stopped worker",
                () -> cluster.routerWorkers().stream().noneMatch(w -> w.get("workerId").asText().equals("worker-doomed")));
        HttpResponse<String> next = cluster.post("""
                {"model":"%s","messages":[{"role":"user","content":"Anyone there?"}],"max_tokens":5}""".formatted(DOOMED_MODEL));
        assertThat(next.statusCode()).as(next.body()).isEqualTo(503);
        OpenAiSchemas.assertValid("ErrorResponse", next.body());
        assertThat(Cluster.json(next.body()).at("/error/code").asText()).isEqualTo("no_worker_available");
    }

    interface Action {
        void run() throws Exception;
    }

    /** Streams a long completion of {@code model}, runs {@code afterFirstToken} once content flows, and returns every SSE line. */
    private List<String> streamUntilEnd(String model, Action afterFirstToken) throws Exception {
        String body = """
                {"model":"%s","messages":[{"role":"user","content":"A long story"}],"max_tokens":1900,"ignore_eos":true,
                 "stream":true}""".formatted(model);
        HttpResponse<java.io.InputStream> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(cluster.gateway.url() + "/v1/chat/completions"))
                        .header("Authorization", "Bearer " + Cluster.API_KEY)
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        List<String> events = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            boolean done = false;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty()) {
                    continue;
                }
                events.add(line);
                if (!done && line.contains("\"content\":\"") && !line.contains("\"role\"")) {
                    afterFirstToken.run();
                    done = true;
                }
            }
        }
        return events;
    }
}
