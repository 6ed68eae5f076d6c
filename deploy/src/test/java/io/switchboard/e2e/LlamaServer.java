package io.switchboard.e2e;

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

import io.switchboard.testing.Wait;

/**
 * llama.cpp's own {@code llama-server} (the shared test fixture, like the model), started by a test on a free port and
 * stopped after: the engine a worker drives, or a stand-in for a cloud provider when started with an API key.
 */
final class LlamaServer implements AutoCloseable {
    final Process process;
    final int port;
    final String apiKey;

    private LlamaServer(Process process, int port, String apiKey) {
        this.process = process;
        this.port = port;
        this.apiKey = apiKey;
    }

    /** The shared binary: {@code -Dswitchboard.test.llama-server}, else {@code ../shared/engines/llama-server/llama-server}. */
    static Path binary(Path root) {
        Path p = Path.of(System.getProperty("switchboard.test.llama-server",
                root.resolve("../shared/engines/llama-server/llama-server").toString())).toAbsolutePath().normalize();
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException("llama-server not found at " + p + " (set -Dswitchboard.test.llama-server)");
        }
        return p;
    }

    static LlamaServer start(Path root, Path model, int slots, String apiKey, Path log) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(binary(root).toString(), "-m", model.toString(), "-np", String.valueOf(slots),
                "-c", String.valueOf(slots * 1024), "--host", "127.0.0.1", "--port", String.valueOf(port), "--jinja",
                "-t", "1"));
        if (apiKey != null) {
            cmd.addAll(List.of("--api-key", apiKey));
        }
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        LlamaServer server = new LlamaServer(p, port, apiKey);
        HttpClient http = HttpClient.newHttpClient();
        Wait.until(Duration.ofSeconds(30), "llama-server on port " + port + " is healthy", () -> {
            if (!p.isAlive()) {
                throw new IllegalStateException("llama-server exited: see " + log);
            }
            try {
                return http.send(HttpRequest.newBuilder(URI.create(server.url() + "/health")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
        return server;
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
