package io.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/** Eight concurrent requests over two workers of two slots: all complete, and no worker ever runs more than its slots. */
class ConcurrencyIT {
    final Cluster cluster = Cluster.get();

    @Test
    void eightConcurrentRequestsOverTwoWorkersNeverOverAssignASlot() throws Exception {
        List<Future<HttpResponse<String>>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 8; i++) {
                int n = i;
                futures.add(pool.submit(() -> cluster.post("""
                        {"model":"%s","messages":[{"role":"user","content":"Story number %d"}],"max_tokens":96,
                         "ignore_eos":true,"seed":%d}""".formatted(cluster.modelId, n, n))));
            }
            for (Future<HttpResponse<String>> f : futures) {
                HttpResponse<String> r = f.get();
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                JsonNode body = Cluster.json(r.body());
                assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(96);
                assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("length");
            }
        }

        int maxPeak = 0;
        long finished = 0;
        for (ServiceProcess worker : cluster.workers) {
            JsonNode slots = cluster.workerStatus(worker).get("slots");
            assertThat(slots.get("peakActive").asInt()).as(worker.name + " peak").isLessThanOrEqualTo(Cluster.SLOTS);
            assertThat(slots.get("queued").asInt()).isZero();
            maxPeak = Math.max(maxPeak, slots.get("peakActive").asInt());
            finished += slots.get("finished").asLong();
        }
        assertThat(maxPeak).as("some worker ran its slots in parallel").isEqualTo(Cluster.SLOTS);
        assertThat(finished).isGreaterThanOrEqualTo(8);
        for (JsonNode w : cluster.routerWorkers()) {
            assertThat(w.get("freeSlots").asInt()).isEqualTo(w.get("totalSlots").asInt());
        }
    }
}
