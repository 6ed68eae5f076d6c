package io.switchboard.e2e;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.switchboard.testing.Ports;
import io.switchboard.testing.Processes;
import io.switchboard.testing.Wait;

/** One packaged Switchboard service ({@code target/quarkus-app}) running as its own JVM, as run.sh starts it. */
final class ServiceProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final String name;
    final int port;
    private final Process process;
    private final Path log;

    private ServiceProcess(String name, int port, Process process, Path log) {
        this.name = name;
        this.port = port;
        this.process = process;
        this.log = log;
    }

    static ServiceProcess start(String name, Path root, String module, Map<String, String> props) throws IOException {
        int port = Ports.free();
        Path jar = root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: package the services first (./mvnw verify builds them)");
        }
        Path logs = root.resolve("deploy/target/e2e-logs");
        Files.createDirectories(logs);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx384m", "--enable-native-access=ALL-UNNAMED",
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port));
        props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-jar", jar.toString()));
        Path logFile = logs.resolve(name + "-" + port + ".log");
        File out = logFile.toFile();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out).start();
        ServiceProcess service = new ServiceProcess(name, port, p, logFile);
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
        return service;
    }

    void awaitReady(Duration timeout) {
        Wait.until(timeout, name + " ready", () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited: " + tail());
            }
            return get("/q/health/ready").statusCode() == 200;
        });
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    /** The processes it started (a managed llama-server, say), while they run. */
    java.util.List<ProcessHandle> children() {
        return process.toHandle().descendants().toList();
    }

    /** Freezes the process (SIGSTOP): it stops heartbeating and generating without closing its connections. */
    void freeze() throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-STOP", String.valueOf(pid())).start().waitFor();
    }

    /** Asks the process to stop (SIGTERM), as Kubernetes does on scale-down. */
    void terminate() {
        process.destroy();
    }

    /** Kills the process at once (SIGKILL): no shutdown hook runs, nothing is handed over. */
    void kill() {
        process.destroyForcibly();
    }

    boolean alive() {
        return process.isAlive();
    }

    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        try {
            new ProcessBuilder("kill", "-CONT", String.valueOf(pid())).start().waitFor();
        } catch (Exception ignored) {
            // best effort
        }
        Processes.stop(process, Duration.ofSeconds(10));
    }
}
