package io.switchboard.worker.engine.llamaserver;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

/**
 * One llama-server child: started, awaited until {@code /health} answers 200, stopped with SIGTERM and, after a grace
 * period, killed (this build aborts on SIGTERM with "terminate called without an active exception": harmless). Its
 * output goes to the worker's log at debug level; the last lines explain a failed start.
 */
final class LlamaServerProcess {
    private static final Logger LOG = Logger.getLogger(LlamaServerProcess.class);
    private static final int TAIL = 20;

    private final Process process;
    private final Process watchdog;
    private final Deque<String> tail = new ArrayDeque<>();

    private LlamaServerProcess(Process process) {
        this.process = process;
        this.watchdog = watchdog(process.pid());
        Thread.ofVirtual().name("llama-server-output-" + process.pid()).start(this::pumpOutput);
    }

    /**
     * A child is not killed with its parent: a worker killed outright (kill -9, OOM) would leave its llama-server
     * running, holding the port and the GPU. A tiny shell loop kills the child within a second of the worker's death
     * (and ends by itself when the child ends first). Null where there is no POSIX shell.
     */
    private static Process watchdog(long child) {
        long worker = ProcessHandle.current().pid();
        String loop = "while kill -0 " + worker + " 2>/dev/null && kill -0 " + child + " 2>/dev/null; do sleep 1; done; "
                + "kill -0 " + worker + " 2>/dev/null || kill -9 " + child + " 2>/dev/null";
        try {
            return new ProcessBuilder("sh", "-c", loop).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            LOG.warnf("no watchdog for llama-server (pid %d): it would outlive a worker killed outright: %s", child,
                    e.getMessage());
            return null;
        }
    }

    /** Starts the child and waits for it to be healthy; fails, naming the reason, when it dies or stays unhealthy. */
    static LlamaServerProcess start(LlamaServerSettings settings, HttpClient http) {
        Process p;
        try {
            p = new ProcessBuilder(settings.command()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start llama-server " + settings.binary() + ": " + e.getMessage(), e);
        }
        LlamaServerProcess child = new LlamaServerProcess(p);
        URI health = URI.create("http://127.0.0.1:" + settings.port() + "/health");
        long deadline = System.nanoTime() + settings.startTimeout().toNanos();
        while (!child.healthy(http, health)) {
            if (!p.isAlive()) {
                throw new IllegalStateException("llama-server exited with code " + p.exitValue() + " while starting: "
                        + child.lastOutput());
            }
            if (System.nanoTime() > deadline) {
                child.stop(Duration.ZERO);
                throw new IllegalStateException("llama-server was not healthy within " + settings.startTimeout() + ": "
                        + child.lastOutput());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                child.stop(Duration.ZERO);
                throw new IllegalStateException("interrupted while llama-server was starting", e);
            }
        }
        LOG.infof("llama-server (pid %d) is serving on 127.0.0.1:%d", p.pid(), settings.port());
        return child;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    CompletableFuture<Process> onExit() {
        return process.onExit();
    }

    int exitCode() {
        return process.isAlive() ? -1 : process.exitValue();
    }

    /** SIGTERM, then a kill after {@code grace}. */
    void stop(Duration grace) {
        if (watchdog != null) {
            watchdog.destroy();
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    synchronized String lastOutput() {
        return String.join(" | ", tail);
    }

    private boolean healthy(HttpClient http, URI health) {
        try {
            return http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void pumpOutput() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                LOG.debugf("llama-server: %s", line);
                synchronized (this) {
                    tail.addLast(line);
                    if (tail.size() > TAIL) {
                        tail.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            // the child is gone
        }
    }
}
