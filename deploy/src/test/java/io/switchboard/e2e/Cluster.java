package io.switchboard.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.switchboard.testing.TestInfra;
import io.switchboard.testing.Wait;

/**
 * The whole platform for end-to-end tests, started once per test JVM: a real Kafka broker and Redis
 * ({@link TestInfra}), the router, two llama.cpp workers with two slots each on the real model, and the
 * gateway — each the packaged service in its own JVM. Tests may add workers of their own.
 */
final class Cluster {
    static final String API_KEY = "sk-e2e-test";
    static final String ADMIN_KEY = "sk-e2e-admin";
    static final String TENANT = "e2e";
    static final int SLOTS = 2;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Cluster instance;
    private static RuntimeException startFailure;

    final Path root;
    final Path model;
    final String modelId = "stories260K";
    final TestInfra infra;
    /** The active router (a test that kills it hands over to the standby it started, {@link #replaceRouter}). */
    volatile ServiceProcess router;
    final List<ServiceProcess> workers = new ArrayList<>();
    final ServiceProcess gateway;
    /** A second gateway replica: the same tenants, keys and limits, held in the same Redis. */
    final ServiceProcess gateway2;
    final Path logs;
    private Path tenantsFile;

    private Cluster() throws IOException {
        root = Path.of("..").toAbsolutePath().normalize();
        model = Path.of(System.getProperty("switchboard.test.model", root.resolve("../shared/models/stories260K.gguf").toString()))
                .toAbsolutePath().normalize();
        if (!Files.isRegularFile(model)) {
            throw new IllegalStateException("test model not found at " + model + " (set -Dswitchboard.test.model)");
        }
        infra = TestInfra.get();
        router = startRouter("router");
        List<ServiceProcess> started = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            started.add(startWorker("worker-" + i, modelId));
        }
        logs = root.resolve("deploy/target/e2e-logs");
        Path tenants = root.resolve("deploy/target/e2e-tenants.yaml");
        Files.createDirectories(tenants.getParent());
        Files.writeString(tenants, """
                tenants:
                  - id: %s
                    keys:
                      - id: key_e2e
                        sha256: %s
                """.formatted(TENANT, sha256(API_KEY)));
        tenantsFile = tenants;
        gateway = startGateway("gateway", Map.of());
        gateway2 = startGateway("gateway-2", Map.of());
        router.awaitReady(Duration.ofSeconds(90));
        for (ServiceProcess w : started) {
            w.awaitReady(Duration.ofSeconds(90));
        }
        workers.addAll(started);
        gateway.awaitReady(Duration.ofSeconds(90));
        gateway2.awaitReady(Duration.ofSeconds(90));
        awaitWorkers(2);
        Wait.until(Duration.ofSeconds(30), "gateway lists " + modelId,
                () -> gatewayGet("/v1/models").body().contains("\"" + modelId + "\""));
    }

    static synchronized Cluster get() {
        if (startFailure != null) {
            throw startFailure;
        }
        if (instance == null) {
            try {
                instance = new Cluster();
            } catch (IOException | RuntimeException e) {
                startFailure = new IllegalStateException("the e2e cluster did not start: " + e.getMessage(), e);
                throw startFailure;
            }
        }
        return instance;
    }

    /** Starts a gateway replica serving the tenants file, with these settings over the defaults; not yet awaited. */
    ServiceProcess startGateway(String name, Map<String, String> overrides) throws IOException {
        Map<String, String> props = new HashMap<>(Map.of(
                "switchboard.gateway.tenancy.file", tenantsFile.toString(),
                "switchboard.gateway.tenancy.admin-key", ADMIN_KEY,
                "switchboard.gateway.request-timeout", "60s"));
        props.putAll(overrides);
        return ServiceProcess.start(name, root, "gateway-service", infraProps(props));
    }

    /** Starts a router (the first takes the leader lease; more are standbys); not yet awaited. */
    ServiceProcess startRouter(String name) throws IOException {
        return ServiceProcess.start(name, root, "router-service", infraProps(Map.of(
                "switchboard.router.id", name,
                "switchboard.router.worker-timeout", "1500ms",
                "switchboard.router.no-worker-wait", "3s",
                "switchboard.router.tick-interval", "100ms")));
    }

    /** The router {@code next} is the active one now (the previous one was killed). */
    void replaceRouter(ServiceProcess next) {
        router = next;
    }

    /** Starts one more llama.cpp worker serving the test model under {@code servedAs}; not yet awaited. */
    ServiceProcess startWorker(String name, String servedAs) throws IOException {
        Map<String, String> props = new HashMap<>(Map.of(
                "switchboard.worker.id", name,
                "switchboard.worker.engine", "llama",
                "switchboard.worker.llama.model", model.toString(),
                "switchboard.worker.model-id", servedAs,
                "switchboard.worker.slots", String.valueOf(SLOTS),
                "switchboard.worker.llama.threads", "1",
                "switchboard.worker.heartbeat-interval", "300ms",
                "switchboard.worker.catalog-interval", "300ms"));
        return ServiceProcess.start(name, root, "inference-worker", infraProps(props));
    }

    /**
     * Starts a worker that runs llama.cpp's own {@code llama-server} beside it (the managed engine) on the test model,
     * serving {@code servedAs}; not yet awaited.
     */
    ServiceProcess startLlamaServerWorker(String name, String servedAs, int slots) throws IOException {
        Map<String, String> props = new HashMap<>(Map.of(
                "switchboard.worker.id", name,
                "switchboard.worker.engine", "llama-server",
                "switchboard.worker.llama-server.path", LlamaServer.binary(root).toString(),
                "switchboard.worker.llama.model", model.toString(),
                "switchboard.worker.llama.ctx-per-slot", "1024",
                "switchboard.worker.model-id", servedAs,
                "switchboard.worker.slots", String.valueOf(slots),
                "switchboard.worker.heartbeat-interval", "300ms",
                "switchboard.worker.catalog-interval", "300ms"));
        return ServiceProcess.start(name, root, "inference-worker", infraProps(props));
    }

    /**
     * Starts a worker that drives an OpenAI-compatible server at {@code baseUrl} (a provider needing {@code apiKey}),
     * serving {@code servedAs}; not yet awaited.
     */
    ServiceProcess startOpenAiWorker(String name, String servedAs, String baseUrl, String apiKey, String flavor, int slots)
            throws IOException {
        Map<String, String> props = new HashMap<>(Map.of(
                "switchboard.worker.id", name,
                "switchboard.worker.engine", "openai",
                "switchboard.worker.openai.base-url", baseUrl,
                "switchboard.worker.openai.api-key", apiKey,
                "switchboard.worker.openai.flavor", flavor,
                "switchboard.worker.model-id", servedAs,
                "switchboard.worker.slots", String.valueOf(slots),
                "switchboard.worker.heartbeat-interval", "300ms",
                "switchboard.worker.catalog-interval", "300ms"));
        return ServiceProcess.start(name, root, "inference-worker", infraProps(props));
    }

    /** Starts a worker with the simulated engine (no model) serving {@code servedAs}; not yet awaited. */
    ServiceProcess startSimulatedWorker(String name, String servedAs, int slots, int tokensPerSecond) throws IOException {
        return startSimulatedWorker(name, servedAs, slots, tokensPerSecond, Duration.ofMillis(5));
    }

    /** A simulated worker whose first token takes {@code timeToFirstToken}; not yet awaited. */
    ServiceProcess startSimulatedWorker(String name, String servedAs, int slots, int tokensPerSecond,
            Duration timeToFirstToken) throws IOException {
        return startSimulatedWorker(name, servedAs, slots, tokensPerSecond, timeToFirstToken, "local");
    }

    /** A simulated worker that says it is of {@code provider} ({@code local} or {@code cloud}); not yet awaited. */
    ServiceProcess startSimulatedWorker(String name, String servedAs, int slots, int tokensPerSecond,
            Duration timeToFirstToken, String provider) throws IOException {
        Map<String, String> props = new HashMap<>(Map.of(
                "switchboard.worker.provider", provider,
                "switchboard.worker.id", name,
                "switchboard.worker.engine", "simulated",
                "switchboard.worker.model-id", servedAs,
                "switchboard.worker.slots", String.valueOf(slots),
                "switchboard.worker.simulated.time-to-first-token", timeToFirstToken.toMillis() + "ms",
                "switchboard.worker.simulated.tokens-per-second", String.valueOf(tokensPerSecond),
                "switchboard.worker.heartbeat-interval", "300ms",
                "switchboard.worker.catalog-interval", "300ms"));
        return ServiceProcess.start(name, root, "inference-worker", infraProps(props));
    }

    private Map<String, String> infraProps(Map<String, String> props) {
        Map<String, String> all = new HashMap<>(props);
        all.put("kafka.bootstrap.servers", infra.kafkaBootstrapServers());
        all.put("quarkus.redis.hosts", infra.redisUri());
        return all;
    }

    /** Waits until the router's registry holds at least {@code n} workers. */
    void awaitWorkers(int n) {
        Wait.until(Duration.ofSeconds(60), n + " workers registered", () -> routerWorkers().size() >= n);
    }

    List<JsonNode> routerWorkers() throws IOException, InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        JSON.readTree(router.get("/router/workers").body()).forEach(out::add);
        return out;
    }

    /** The active router's gauge {@code name} (its Prometheus text), summed over its series. */
    double routerGauge(String name) throws IOException, InterruptedException {
        double sum = 0;
        for (String line : router.get("/q/metrics").body().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    JsonNode workerStatus(ServiceProcess worker) throws IOException, InterruptedException {
        return JSON.readTree(worker.get("/worker/status").body());
    }

    String baseUrl() {
        return gateway.url() + "/v1";
    }

    HttpResponse<String> gatewayGet(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(gateway.url() + path))
                .header("Authorization", "Bearer " + API_KEY).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String body, Map<String, String> headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(90))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return post(body, Map.of("Authorization", "Bearer " + API_KEY, "Content-Type", "application/json"));
    }

    static String sha256(String key) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An admin API call on {@code replica}: method, path and JSON body (null for none). */
    HttpResponse<String> admin(ServiceProcess replica, String method, String path, String body)
            throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(replica.url() + path))
                .header("Authorization", "Bearer " + ADMIN_KEY).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A new tenant with these limits (a JSON object) and one key; returns the key. */
    String tenantWithKey(String id, String limits) throws IOException, InterruptedException {
        return tenantWithKey(id, limits, "\"class\":\"standard\"");
    }

    /** A new tenant with these limits, more tenant fields ({@code "class":"batch","weight":2}) and one key; returns the key. */
    String tenantWithKey(String id, String limits, String fields) throws IOException, InterruptedException {
        HttpResponse<String> t = admin(gateway, "POST", "/admin/v1/tenants",
                "{\"id\":\"" + id + "\",\"limits\":" + limits + "," + fields + "}");
        if (t.statusCode() != 201) {
            throw new IllegalStateException("tenant " + id + " not created: " + t.body());
        }
        HttpResponse<String> k = admin(gateway, "POST", "/admin/v1/tenants/" + id + "/keys", "{}");
        if (k.statusCode() != 201) {
            throw new IllegalStateException("key of " + id + " not created: " + k.body());
        }
        String key = json(k.body()).get("key").asText();
        awaitKeyOnEveryReplica(key);
        return key;
    }

    /** A new key works on the replica that made it at once, and on the others as the change's notice reaches them. */
    void awaitKeyOnEveryReplica(String key) {
        for (ServiceProcess replica : List.of(gateway, gateway2)) {
            Wait.until(Duration.ofSeconds(5), "the new key works on " + replica.name, () -> HttpClient.newHttpClient()
                    .send(HttpRequest.newBuilder(URI.create(replica.url() + "/v1/models")).header("Authorization", "Bearer " + key)
                            .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
        }
    }

    /** A chat completion on {@code replica} with {@code key}. */
    HttpResponse<String> post(ServiceProcess replica, String key, String body) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(replica.url() + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(90)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(String body) throws IOException {
        return JSON.readTree(body);
    }
}
