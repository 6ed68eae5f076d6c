package io.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import io.switchboard.testing.Wait;

/**
 * A burst of five times what a model can serve before the requests' deadline: what can be served is, and the rest is
 * refused at once with 503 (or 429) and {@code Retry-After}; no request ends by its deadline. A gateway with a 4 s
 * request timeout and a simulated worker whose jobs take about 1 s (two slots: eight jobs fit in the deadline) of a
 * model id of their own keep the shared cluster out of it. Prints the refusals' latency (the benchmark's figure is
 * measured elsewhere; this asserts the behaviour).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OverloadIT {
    static final String MODEL = "sim-overload";
    static final int BURST = 40;
    final Cluster cluster = Cluster.get();
    ServiceProcess worker;
    ServiceProcess gateway;

    record Answer(int status, String body, String retryAfter, long tookMs) {
    }

    @AfterAll
    void stopTheirs() {
        for (ServiceProcess p : new ServiceProcess[] { worker, gateway }) {
            if (p != null) {
                p.close();
            }
        }
    }

    @Test
    void aBurstBeyondCapacityIsServedOrRefusedAtOnceAndNothingEndsByItsDeadline() throws Exception {
        worker = cluster.startSimulatedWorker("worker-overload", MODEL, 2, 10, Duration.ofMillis(5));
        gateway = cluster.startGateway("gateway-overload", Map.of("switchboard.gateway.request-timeout", "4s"));
        worker.awaitReady(Duration.ofSeconds(90));
        gateway.awaitReady(Duration.ofSeconds(90));
        Wait.until(Duration.ofSeconds(30), "the gateway lists " + MODEL,
                () -> send().status() != 404);
        // the router learns how long the model's jobs take
        for (int i = 0; i < 3; i++) {
            assertThat(send().status()).isEqualTo(200);
        }

        ExecutorService clients = Executors.newFixedThreadPool(BURST);
        // a first burst warms the refusal path up (and the connections); the second one is measured
        burst(clients);
        Thread.sleep(5000);
        List<Answer> answers = burst(clients);
        clients.shutdown();

        List<Answer> served = answers.stream().filter(a -> a.status() == 200).toList();
        List<Answer> refused = answers.stream().filter(a -> a.status() != 200).toList();
        System.out.printf("[overload] burst %d: served %d, refused %d; refusal ms: median %d, max %d%n", BURST,
                served.size(), refused.size(), percentile(refused, 50), percentile(refused, 100));
        assertThat(served).isNotEmpty();
        assertThat(refused).isNotEmpty();
        for (Answer a : refused) {
            assertThat(a.status()).as(a.body()).isIn(503, 429);
            assertThat(a.retryAfter()).as(a.body()).isNotNull();
            assertThat(Cluster.json(a.body()).get("error").get("code").asText())
                    .isIn("deadline_unreachable", "overloaded", "tenant_queue_full");
        }
        assertThat(answers).noneMatch(a -> a.status() == 504);
    }

    private List<Answer> burst(ExecutorService clients) throws Exception {
        List<CompletableFuture<Answer>> burst = new ArrayList<>();
        for (int i = 0; i < BURST; i++) {
            burst.add(CompletableFuture.supplyAsync(this::send, clients));
        }
        List<Answer> answers = new ArrayList<>();
        for (CompletableFuture<Answer> a : burst) {
            answers.add(a.get(30, TimeUnit.SECONDS));
        }
        return answers;
    }

    private final HttpClient http = HttpClient.newHttpClient();

    private Answer send() {
        long start = System.nanoTime();
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create(gateway.url() + "/v1/chat/completions")).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + Cluster.API_KEY).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("""
                            {"model":"%s","messages":[{"role":"user","content":"Hello"}],"max_tokens":10}""".formatted(MODEL)))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body(), r.headers().firstValue("retry-after").orElse(null),
                    (System.nanoTime() - start) / 1_000_000);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long percentile(List<Answer> answers, int p) {
        if (answers.isEmpty()) {
            return -1;
        }
        List<Long> sorted = answers.stream().map(Answer::tookMs).sorted().toList();
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }
}
