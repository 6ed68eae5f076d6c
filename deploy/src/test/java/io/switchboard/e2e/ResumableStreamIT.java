package io.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.testing.OpenAiSchemas;
import io.switchboard.testing.Wait;

/**
 * Resumable streams across replicas: a stream whose gateway dies (SIGKILL) or drains (SIGTERM) mid-stream is resumed
 * on the other replica with {@code Last-Event-ID}, and the two parts together are exactly the full answer: the same
 * text as an unbroken stream of the same request, with as many tokens as its usage chunk counts. The job runs on a
 * simulated worker of its own (deterministic text at 40 tokens per second, so the stream lasts long enough to be
 * cut); the gateway that is cut is a third replica started by the test, so the cluster's two stay up for the others.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResumableStreamIT {
    static final String MODEL = "resume-sim";
    static final int MAX_TOKENS = 120;
    final Cluster cluster = Cluster.get();
    final HttpClient http = HttpClient.newHttpClient();
    ServiceProcess worker;

    @BeforeAll
    void startASimulatedWorker() throws Exception {
        worker = cluster.startSimulatedWorker("worker-resume", MODEL, 2, 40);
        worker.awaitReady(Duration.ofSeconds(90));
        for (ServiceProcess gateway : List.of(cluster.gateway, cluster.gateway2)) {
            awaitModel(gateway);
        }
    }

    @AfterAll
    void stopIt() {
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void aStreamCutByTheDeathOfItsGatewayResumesOnTheOtherReplicaWithExactlyTheRest() throws Exception {
        Streamed full = stream(cluster.gateway, request(), events -> false);
        try (ServiceProcess doomed = startGateway("gateway-killed")) {
            Streamed first = stream(doomed, request(), events -> {
                if (contentEvents(events) == 10) {
                    kill(doomed); // mid-stream, without a word to the client
                }
                return false;
            });
            assertThat(first.done()).as("the first part cannot have ended").isFalse();

            assertResumedIsTheRest(full, first);
        }
    }

    @Test
    void aStreamEndedByItsGatewaysDrainResumesOnTheOtherReplicaWithExactlyTheRest() throws Exception {
        Streamed full = stream(cluster.gateway, request(), events -> false);
        try (ServiceProcess draining = startGateway("gateway-drained")) {
            Streamed first = stream(draining, request(), events -> {
                if (contentEvents(events) == 10) {
                    draining.terminate(); // SIGTERM: the stream goes on for the drain grace (1 s), then ends in-band
                }
                return false;
            });
            assertThat(first.done()).isTrue();
            JsonNode error = first.events().get(first.events().size() - 2).json().get("error");
            assertThat(error.get("code").asText()).isEqualTo("shutting_down");

            assertResumedIsTheRest(full, first);
        }
    }

    @Test
    void anotherTenantsKeyGets404AndTheOwnerGetsTheSameChunksFromEitherReplica() throws Exception {
        Streamed full = stream(cluster.gateway, request(), events -> false);
        String otherKey = cluster.tenantWithKey("resume-other-" + UUID.randomUUID().toString().substring(0, 6), "{}");

        HttpResponse<String> refused = resume(cluster.gateway2, otherKey, full.jobId(), null);
        assertThat(refused.statusCode()).isEqualTo(404);
        OpenAiSchemas.assertValid("ErrorResponse", refused.body());
        assertThat(refused.body()).doesNotContain("Once");

        HttpResponse<String> replay = resume(cluster.gateway2, Cluster.API_KEY, full.jobId(), null);
        assertThat(replay.statusCode()).isEqualTo(200);
        assertThat(replay.body()).isEqualTo(full.raw());
    }

    /** The first part plus the resumed rest is the full answer: no event lost or repeated, same chunks. */
    private void assertResumedIsTheRest(Streamed full, Streamed first) throws Exception {
        String lastId = first.lastId();
        assertThat(lastId).isNotNull();
        HttpResponse<String> resumed = resume(cluster.gateway2, Cluster.API_KEY, first.jobId(), lastId);
        assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(200);
        List<Event> rest = Event.parse(resumed.body());
        assertThat(rest).noneMatch(e -> e.data().contains("\"role\""));
        assertThat(rest.get(rest.size() - 1).data()).isEqualTo("[DONE]");

        List<Event> chunks = new ArrayList<>(first.events().stream().filter(Event::chunk).toList());
        chunks.addAll(rest.stream().filter(Event::chunk).toList());
        for (Event e : chunks) {
            OpenAiSchemas.assertValid("CreateChatCompletionStreamResponse", e.data());
            assertThat(e.json().get("id").asText()).isEqualTo(first.jobId());
            assertThat(e.json().get("created").asLong()).isEqualTo(chunks.get(0).json().get("created").asLong());
        }
        String text = text(chunks);
        assertThat(text).isEqualTo(text(full.events()));
        JsonNode usage = chunks.get(chunks.size() - 1).json().get("usage");
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(MAX_TOKENS).isEqualTo(text.split(" ").length);
        List<String> ids = chunks.stream().filter(e -> !e.content().isEmpty()).map(Event::id).toList();
        assertThat(ids).as("content chunks of both parts: each entry once, in order").doesNotHaveDuplicates()
                .isSortedAccordingTo(ResumableStreamIT::compareIds);
    }

    private String request() {
        return """
                {"model":"%s","messages":[{"role":"user","content":"Tell me a story"}],"max_tokens":%d,"stream":true,
                 "stream_options":{"include_usage":true}}""".formatted(MODEL, MAX_TOKENS);
    }

    /** A gateway replica of its own, like the cluster's, with a short drain grace. */
    private ServiceProcess startGateway(String name) throws IOException {
        Map<String, String> props = new HashMap<>(Map.of(
                "kafka.bootstrap.servers", cluster.infra.kafkaBootstrapServers(),
                "quarkus.redis.hosts", cluster.infra.redisUri(),
                "switchboard.gateway.tenancy.file", cluster.root.resolve("deploy/target/e2e-tenants.yaml").toString(),
                "switchboard.gateway.tenancy.admin-key", Cluster.ADMIN_KEY,
                "switchboard.gateway.request-timeout", "60s",
                "switchboard.gateway.drain-grace", "1s"));
        ServiceProcess gateway = ServiceProcess.start(name, cluster.root, "gateway-service", props);
        gateway.awaitReady(Duration.ofSeconds(90));
        awaitModel(gateway);
        return gateway;
    }

    private void awaitModel(ServiceProcess gateway) {
        Wait.until(Duration.ofSeconds(30), gateway.name + " lists " + MODEL, () -> http.send(
                HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/models"))
                        .header("Authorization", "Bearer " + Cluster.API_KEY).build(),
                HttpResponse.BodyHandlers.ofString()).body().contains("\"" + MODEL + "\""));
    }

    private static void kill(ServiceProcess process) {
        try {
            new ProcessBuilder("kill", "-KILL", String.valueOf(process.pid())).start().waitFor();
        } catch (Exception e) {
            throw new IllegalStateException("cannot kill " + process.name, e);
        }
    }

    /** The events a client got, up to where the stream ended (or broke); {@code onEvent} sees them as they come. */
    record Streamed(String jobId, List<Event> events, String raw, boolean done) {
        String lastId() {
            String id = null;
            for (Event e : events) {
                id = e.id() != null ? e.id() : id;
            }
            return id;
        }
    }

    private Streamed stream(ServiceProcess gateway, String body, Predicate<List<Event>> onEvent) throws Exception {
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + Cluster.API_KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        List<Event> events = new ArrayList<>();
        StringBuilder raw = new StringBuilder();
        StringBuilder current = new StringBuilder();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null;) {
                if (!line.isEmpty()) {
                    current.append(line).append('\n');
                    continue;
                }
                // a blank line completes an event: only complete events count as received
                String event = current.append('\n').toString();
                current.setLength(0);
                raw.append(event);
                events.addAll(Event.parse(event));
                onEvent.test(events);
            }
        } catch (IOException broken) {
            // the connection broke mid-stream: what came before it is what the client has
        }
        boolean done = !events.isEmpty() && "[DONE]".equals(events.get(events.size() - 1).data());
        String jobId = events.get(0).json().get("id").asText();
        return new Streamed(jobId, events, raw.toString(), done);
    }

    private HttpResponse<String> resume(ServiceProcess gateway, String key, String jobId, String lastEventId)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/chat/completions/" + jobId + "/stream"))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + key);
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Redis stream ids ({@code ms-seq}) in their order. */
    private static int compareIds(String a, String b) {
        String[] x = a.split("-");
        String[] y = b.split("-");
        int c = Long.compare(Long.parseLong(x[0]), Long.parseLong(y[0]));
        return c != 0 ? c : Long.compare(Long.parseLong(x[1]), Long.parseLong(y[1]));
    }

    private static long contentEvents(List<Event> events) {
        return events.stream().filter(e -> !e.content().isEmpty()).count();
    }

    private static String text(List<Event> events) {
        StringBuilder sb = new StringBuilder();
        events.forEach(e -> sb.append(e.content()));
        return sb.toString();
    }

    /** One SSE event: its data and id fields. */
    record Event(String data, String id) {
        static List<Event> parse(String body) {
            List<Event> out = new ArrayList<>();
            for (String raw : body.split("\n\n")) {
                String data = null;
                String id = null;
                for (String line : raw.split("\n")) {
                    if (line.startsWith("data: ")) {
                        data = line.substring("data: ".length());
                    } else if (line.startsWith("id: ")) {
                        id = line.substring("id: ".length());
                    }
                }
                if (data != null) {
                    out.add(new Event(data, id));
                }
            }
            return out;
        }

        boolean chunk() {
            return data.startsWith("{\"id\"");
        }

        JsonNode json() {
            try {
                return Cluster.json(data);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + data, e);
            }
        }

        String content() {
            if (!chunk()) {
                return "";
            }
            JsonNode c = json().at("/choices/0/delta/content");
            return c.isMissingNode() || c.isNull() ? "" : c.asText();
        }
    }
}
