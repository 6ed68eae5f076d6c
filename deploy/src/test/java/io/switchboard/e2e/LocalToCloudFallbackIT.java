package io.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.KafkaTestClient;
import io.switchboard.testing.UsageTopic;
import io.switchboard.testing.Wait;

/**
 * A model served by a local worker and by a cloud one: the local worker's engine (an OpenAI-compatible server that
 * says it is healthy but fails every completion with a 500, the outside fault this test plays) fails before the first
 * token, so the worker gives the job back and the router runs it in the cloud. The client gets the cloud's answer,
 * not the local error, and the job has one usage record.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalToCloudFallbackIT {
    static final String MODEL = "stories-fallback";
    /** Served by a failing local worker alone: no cloud to fall back to. */
    static final String LOCAL_ONLY_MODEL = "stories-local-only";
    final Cluster cluster = Cluster.get();
    final AtomicInteger upstreamCalls = new AtomicInteger();
    HttpServer failingUpstream;
    ServiceProcess local;
    ServiceProcess cloud;
    ServiceProcess localOnly;

    @BeforeAll
    void startALocalWorkerWhoseEngineFailsAndACloudWorker() throws Exception {
        failingUpstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        failingUpstream.createContext("/v1/models", ex -> answer(ex, 200, "{\"object\":\"list\",\"data\":[]}"));
        failingUpstream.createContext("/v1/chat/completions", ex -> {
            upstreamCalls.incrementAndGet();
            answer(ex, 500, "{\"error\":{\"message\":\"the accelerator fell over\",\"type\":\"server_error\"}}");
        });
        failingUpstream.start();
        String base = "http://127.0.0.1:" + failingUpstream.getAddress().getPort() + "/v1";
        local = cluster.startOpenAiWorker("worker-failing-local", MODEL, base, "unused", "openai", 2);
        cloud = cluster.startSimulatedWorker("worker-fallback-cloud", MODEL, 2, 500, Duration.ofMillis(5), "cloud");
        localOnly = cluster.startOpenAiWorker("worker-failing-only", LOCAL_ONLY_MODEL, base, "unused", "openai", 2);
        for (ServiceProcess w : List.of(local, cloud, localOnly)) {
            w.awaitReady(Duration.ofSeconds(90));
        }
        Wait.until(Duration.ofSeconds(30), "the router sees the three workers and the gateway their models",
                () -> cluster.routerWorkers().stream().filter(r -> r.get("workerId").asText().startsWith("worker-f"))
                        .count() == 3 && cluster.gatewayGet("/v1/models").body().contains(MODEL)
                        && cluster.gatewayGet("/v1/models").body().contains(LOCAL_ONLY_MODEL));
    }

    @AfterAll
    void stopThem() {
        for (ServiceProcess w : new ServiceProcess[] { local, cloud, localOnly }) {
            if (w != null) {
                w.close();
            }
        }
        if (failingUpstream != null) {
            failingUpstream.stop(0);
        }
    }

    static void answer(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Test
    void aRequestWhoseLocalEngineFailsBeforeTheFirstTokenIsAnsweredByTheCloud() throws Exception {
        int before = upstreamCalls.get();
        HttpResponse<String> r = cluster.post("{\"model\":\"" + MODEL + "\",\"max_tokens\":6,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = Cluster.json(r.body());
        assertThat(body.get("provider").asText()).isEqualTo("cloud");
        assertThat(body.at("/choices/0/message/content").asText()).isNotEmpty();
        // it went to the local worker first (local first while it has free slots), whose engine failed
        assertThat(upstreamCalls.get()).isGreaterThan(before);
        String id = body.get("id").asText();
        UsageTopic.awaitFirst(id, Duration.ofSeconds(20));
        assertThat(UsageTopic.recordsOf(id, Duration.ofSeconds(2))).singleElement().satisfies(u -> {
            assertThat(u.outcome()).isEqualTo(UsageRecord.Outcome.FINISHED);
            assertThat(u.workerId()).isEqualTo("worker-fallback-cloud");
        });
    }

    @Test
    void aRequestThatAsksForLocalGetsTheLocalEnginesErrorNotTheCloud() throws Exception {
        HttpResponse<String> r = cluster.post("{\"model\":\"" + MODEL + "\",\"max_tokens\":6,\"provider\":\"local\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(500);
        assertThat(Cluster.json(r.body()).at("/error/code").asText()).isEqualTo("inference_failed");
    }

    @Test
    void withNoCloudToFallBackToTheRequestEndsWithTheLocalEnginesErrorAndOneUsageRecord() throws Exception {
        HttpResponse<String> r = cluster.post("{\"model\":\"" + LOCAL_ONLY_MODEL + "\",\"max_tokens\":6,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(500);
        JsonNode error = Cluster.json(r.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("inference_failed");
        assertThat(error.get("message").asText()).contains("the accelerator fell over");
        String requestId = r.headers().firstValue("x-request-id").orElseThrow();
        KafkaTestClient.await(Topics.USAGE, UsageRecord.class, u -> requestId.equals(u.requestId()), Duration.ofSeconds(20));
        assertThat(KafkaTestClient.all(Topics.USAGE, UsageRecord.class, u -> requestId.equals(u.requestId()),
                Duration.ofSeconds(2))).singleElement()
                .satisfies(u -> assertThat(u.outcome()).isEqualTo(UsageRecord.Outcome.FAILED));
    }
}
