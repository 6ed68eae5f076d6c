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

import io.switchboard.testing.OpenAiSchemas;
import io.switchboard.testing.Wait;

/**
 * A worker that stops (frozen with SIGSTOP: no heartbeats, no tokens, connections left open) mid-request:
 * the router notices the silence, fails its jobs, and the clients get an error instead of a hang. A
 * worker of its own, serving its own model id, keeps the shared workers out of it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StoppedWorkerIT {
    static final String DOOMED_MODEL = "stories260K-doomed";
    final Cluster cluster = Cluster.get();
    ServiceProcess doomed;

    @BeforeAll
    void startDoomedWorker() throws Exception {
        doomed = cluster.startWorker("worker-doomed", DOOMED_MODEL);
        doomed.awaitReady(Duration.ofSeconds(90));
        Wait.until(Duration.ofSeconds(30), "router and gateway see the doomed worker",
                () -> cluster.routerWorkers().stream().anyMatch(w -> w.get("workerId").asText().equals("worker-doomed"))
                        && cluster.gatewayGet("/v1/models").body().contains(DOOMED_MODEL));
    }

    @AfterAll
    void killDoomedWorker() {
        if (doomed != null) {
            doomed.close();
        }
    }

    @Test
    void requestsOnAStoppedWorkerEndWithAnErrorNotAHang() throws Exception {
        String body = """
                {"model":"%s","messages":[{"role":"user","content":"A long story"}],"max_tokens":1900,"ignore_eos":true,
                 "stream":true}""".formatted(DOOMED_MODEL);
        HttpResponse<java.io.InputStream> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(cluster.gateway.url() + "/v1/chat/completions"))
                        .header("Authorization", "Bearer " + Cluster.API_KEY)
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);

        List<String> events = new ArrayList<>();
        long start = System.nanoTime();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            boolean frozen = false;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty()) {
                    continue;
                }
                events.add(line);
                if (!frozen && line.contains("\"content\":\"") && !line.contains("\"role\"")) {
                    doomed.freeze();
                    frozen = true;
                }
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(events.get(events.size() - 1)).isEqualTo("data: [DONE]");
        String error = events.get(events.size() - 2);
        assertThat(error).startsWith("data: {\"error\"");
        OpenAiSchemas.assertValid("ErrorResponse", error.substring("data: ".length()));
        JsonNode e = Cluster.json(error.substring("data: ".length())).get("error");
        assertThat(e.get("code").asText()).isEqualTo("worker_lost");
        assertThat(took).isLessThan(Duration.ofSeconds(30));

        // the worker is gone from the registry; a new request for its model fails with 503, not a hang
        Wait.until(Duration.ofSeconds(10), "router drops the stopped worker",
                () -> cluster.routerWorkers().stream().noneMatch(w -> w.get("workerId").asText().equals("worker-doomed")));
        HttpResponse<String> next = cluster.post("""
                {"model":"%s","messages":[{"role":"user","content":"Anyone there?"}],"max_tokens":5}""".formatted(DOOMED_MODEL));
        assertThat(next.statusCode()).as(next.body()).isEqualTo(503);
        OpenAiSchemas.assertValid("ErrorResponse", next.body());
        assertThat(Cluster.json(next.body()).at("/error/code").asText()).isEqualTo("no_worker_available");
    }
}
