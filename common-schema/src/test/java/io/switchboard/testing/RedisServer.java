package io.switchboard.testing;

import java.io.File;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real {@code redis-server} on a free loopback port, nothing persisted. Needs {@code redis-server}
 * on the PATH ({@code apt-get install -y redis-server}; {@code .ci/run} installs it).
 */
public final class RedisServer implements AutoCloseable {
    private final int port;
    private final Process process;

    private RedisServer(int port, Process process) {
        this.port = port;
        this.process = process;
    }

    public static RedisServer start(Path workDir) throws IOException {
        int port = Ports.free();
        Files.createDirectories(workDir);
        File log = workDir.resolve("redis-" + port + ".log").toFile();
        Process p = new ProcessBuilder(List.of("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", workDir.toString()))
                .redirectErrorStream(true).redirectOutput(log).start();
        RedisServer server = new RedisServer(port, p);
        Wait.until(Duration.ofSeconds(20), "redis-server on port " + port, () -> {
            if (!p.isAlive()) {
                throw new IllegalStateException("redis-server exited: " + Files.readString(log.toPath()));
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        return server;
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        process.destroy();
    }
}
