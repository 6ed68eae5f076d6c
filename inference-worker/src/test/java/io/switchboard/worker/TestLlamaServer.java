package io.switchboard.worker;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * llama.cpp's server, the shared test fixture ({@code ../shared/engines/llama-server/llama-server} beside the checkout,
 * or {@code -Dswitchboard.test.llama-server}), started on a free port with the test model and stopped after.
 */
public final class TestLlamaServer implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private final Process process;
    private final int port;

    private TestLlamaServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** The repository's parent folder, where {@code shared/} lives (tests run in the module folder). */
    private static Path sharedRoot() {
        return Path.of("..").toAbsolutePath().normalize().resolve("..").normalize();
    }

    public static Path binary() {
        return Path.of(System.getProperty("switchboard.test.llama-server",
                sharedRoot().resolve("shared/engines/llama-server/llama-server").toString())).toAbsolutePath();
    }

    public static Path model() {
        return Path.of(System.getProperty("switchboard.test.model",
                sharedRoot().resolve("shared/models/stories260K.gguf").toString())).toAbsolutePath();
    }

    /** Starts it with 2 slots of 1024 tokens and {@code --jinja --metrics}, plus {@code extraArgs}; waits for health. */
    public static TestLlamaServer start(String... extraArgs) throws Exception {
        if (!Files.isExecutable(binary())) {
            throw new IllegalStateException("llama-server not found at " + binary() + " (set -Dswitchboard.test.llama-server)");
        }
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(binary().toString(), "-m", model().toString(), "-np", "2", "-c",
                "2048", "--host", "127.0.0.1", "--port", String.valueOf(port), "--jinja", "--metrics"));
        command.addAll(List.of(extraArgs));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(Path.of("target", "llama-server-" + port + ".log").toFile()).start();
        TestLlamaServer server = new TestLlamaServer(p, port);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!server.healthy()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                server.close();
                throw new IllegalStateException("llama-server did not become healthy; see target/llama-server-" + port + ".log");
            }
            Thread.sleep(50);
        }
        return server;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + port + "/v1");
    }

    public int port() {
        return port;
    }

    public boolean healthy() {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    /** A sample of its Prometheus metrics ({@code llamacpp:requests_processing}, ...). */
    public double metric(String name) throws Exception {
        String text = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return text.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.split(" ")[1]))
                .findFirst().orElseThrow(() -> new IllegalStateException("no metric " + name));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
