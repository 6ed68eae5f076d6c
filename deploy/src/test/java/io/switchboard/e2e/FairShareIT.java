package io.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import io.switchboard.testing.Wait;

/**
 * Fair share on the real stack (simulated engine, so the model is not the bottleneck of the test machine): two
 * standard tenants of weights 1 and 2, both backlogged on a model whose worker has two slots, get completion tokens
 * in the ratio of their weights; a batch tenant flooding the same model gets nothing while they are backlogged, and a
 * critical tenant's requests go first. A batch flood alone, which holds every slot it may, leaves a critical tenant's
 * time to first token as it was (a slot is held back for critical jobs).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FairShareIT {
    static final String MODEL = "fair-sim";
    static final Duration WINDOW = Duration.ofSeconds(12);
    static final Duration SKIP = Duration.ofSeconds(2);
    final Cluster cluster = Cluster.get();
    final HttpClient http = HttpClient.newHttpClient();
    ServiceProcess worker;

    @BeforeAll
    void startAWorkerOfItsOwn() throws Exception {
        worker = cluster.startSimulatedWorker("worker-fair", MODEL, 2, 300);
        worker.awaitReady(Duration.ofSeconds(90));
        Wait.until(Duration.ofSeconds(30), "the gateways list " + MODEL,
                () -> cluster.gatewayGet("/v1/models").body().contains("\"" + MODEL + "\""));
    }

    @AfterAll
    void stopIt() {
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void backloggedTenantsShareTokensByWeightAndCriticalGoesFirst() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 6);
        String light = cluster.tenantWithKey("fair-w1-" + suffix, "{}", "\"class\":\"standard\",\"weight\":1");
        String heavy = cluster.tenantWithKey("fair-w2-" + suffix, "{}", "\"class\":\"standard\",\"weight\":2");
        String batch = cluster.tenantWithKey("fair-batch-" + suffix, "{}", "\"class\":\"batch\"");
        String critical = cluster.tenantWithKey("fair-crit-" + suffix, "{}", "\"class\":\"critical\"");

        List<Long> unloaded = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            unloaded.add(timeToFirstToken(critical));
        }

        AtomicLong lightTokens = new AtomicLong();
        AtomicLong heavyTokens = new AtomicLong();
        AtomicLong batchTokens = new AtomicLong();
        long start = System.nanoTime();
        long end = start + WINDOW.toNanos();
        // six clients each keep every tenant backlogged: with two slots, a tenant always has requests waiting
        ExecutorService clients = Executors.newFixedThreadPool(18);
        for (int c = 0; c < 6; c++) {
            clients.submit(() -> loop(light, lightTokens, start, end, 20));
            clients.submit(() -> loop(heavy, heavyTokens, start, end, 20));
            clients.submit(() -> loop(batch, batchTokens, start, end, 20));
        }
        Thread.sleep(SKIP.toMillis() + 1000);
        List<Long> loaded = new ArrayList<>();
        while (System.nanoTime() < end - Duration.ofSeconds(1).toNanos()) {
            loaded.add(timeToFirstToken(critical));
        }
        clients.shutdown();
        assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

        double ratio = (double) heavyTokens.get() / Math.max(1, lightTokens.get());
        System.out.printf("fair share: weight-1 tenant %d tokens, weight-2 tenant %d tokens (ratio %.2f), batch %d;"
                + " critical time to first token p50 %d ms unloaded, %d ms beside the backlog (p99 %d ms)%n",
                lightTokens.get(), heavyTokens.get(), ratio, batchTokens.get(), pct(unloaded, 50), pct(loaded, 50),
                pct(loaded, 99));
        assertThat(lightTokens.get()).isPositive();
        assertThat(ratio).as("token share of weights 2 : 1").isBetween(1.8, 2.2);
        assertThat(batchTokens.get()).as("batch runs only when standard is not backlogged").isZero();
        assertThat(loaded).isNotEmpty();
    }

    @Test
    void aCriticalTenantsTimeToFirstTokenIsUnaffectedByABatchFlood() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 6);
        String batch = cluster.tenantWithKey("flood-batch-" + suffix, "{}", "\"class\":\"batch\"");
        String critical = cluster.tenantWithKey("flood-crit-" + suffix, "{}", "\"class\":\"critical\"");
        for (int i = 0; i < 20; i++) {
            timeToFirstToken(critical); // warms the path up (and starts the model's critical reserve)
        }
        List<Long> alone = timesToFirstToken(critical, 60);

        // six batch clients, each with a request of 100 tokens (about 330 ms) always in flight: the model's two slots
        // would be busy all along, and a critical request would wait for one to free
        AtomicLong batchTokens = new AtomicLong();
        long start = System.nanoTime();
        ExecutorService flood = Executors.newFixedThreadPool(6);
        for (int c = 0; c < 6; c++) {
            flood.submit(() -> loop(batch, batchTokens, start - SKIP.toNanos(), start + Duration.ofSeconds(60).toNanos(), 100));
        }
        Thread.sleep(1500);
        List<Long> beside = timesToFirstToken(critical, 60);
        flood.shutdownNow();
        assertThat(flood.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

        System.out.printf("critical time to first token alone p50 %d p90 %d p99 %d ms; beside a batch flood (%d batch tokens"
                + " served meanwhile) p50 %d p90 %d p99 %d ms%n", pct(alone, 50), pct(alone, 90), pct(alone, 99),
                batchTokens.get(), pct(beside, 50), pct(beside, 90), pct(beside, 99));
        assertThat(batchTokens.get()).as("the flood ran beside the critical requests").isPositive();
        // the benchmark's fairness part prints the p99 ratio (target 1.2); on this shared machine the test bounds the
        // median and p90 with room for noise: without the reserved slot they rise by most of a batch job (~330 ms)
        assertThat(pct(beside, 50)).as("critical p50 beside the flood").isLessThanOrEqualTo(pct(alone, 50) * 12 / 10 + 10);
        assertThat(pct(beside, 90)).as("critical p90 beside the flood").isLessThanOrEqualTo(pct(alone, 90) * 3 / 2 + 20);
    }

    private List<Long> timesToFirstToken(String key, int n) throws Exception {
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            times.add(timeToFirstToken(key));
        }
        return times;
    }

    /** Keeps one request of the tenant in flight until {@code endNanos}; adds the completion tokens of those that
     * finished inside the measured part of the window. */
    private void loop(String key, AtomicLong tokens, long startNanos, long endNanos, int maxTokens) {
        String body = """
                {"model":"%s","messages":[{"role":"user","content":"share"}],"max_tokens":%d,"ignore_eos":true}"""
                .formatted(MODEL, maxTokens);
        while (System.nanoTime() < endNanos) {
            try {
                HttpResponse<String> r = http.send(request(key, body).timeout(Duration.ofSeconds(60)).build(),
                        HttpResponse.BodyHandlers.ofString());
                long now = System.nanoTime();
                if (r.statusCode() == 200 && now > startNanos + SKIP.toNanos() && now < endNanos) {
                    tokens.addAndGet(Cluster.json(r.body()).at("/usage/completion_tokens").asLong());
                }
            } catch (Exception e) {
                return;
            }
        }
    }

    private long timeToFirstToken(String key) throws Exception {
        String body = """
                {"model":"%s","messages":[{"role":"user","content":"first"}],"max_tokens":3,"stream":true}""".formatted(MODEL);
        long sent = System.nanoTime();
        HttpResponse<InputStream> r = http.send(request(key, body).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        long first = -1;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null;) {
                if (first < 0 && line.contains("\"content\":\"") && !line.contains("\"role\"")) {
                    first = System.nanoTime();
                }
            }
        }
        return (first - sent) / 1_000_000;
    }

    private HttpRequest.Builder request(String key, String body) {
        return HttpRequest.newBuilder(URI.create(cluster.gateway.url() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private static long pct(List<Long> values, int p) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.isEmpty() ? -1 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }
}
