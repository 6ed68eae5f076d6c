package io.switchboard.worker.engine.llamaserver;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.OptionalLong;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * Keeps one llama-server child running: starts it (start-up fails if it cannot), and when it dies marks it not
 * running at once and starts it again, waiting {@code restartBackoff} first and doubling the wait after each failed
 * start up to {@code maxRestartBackoff}. Counts restarts ({@code switchboard_engine_restarts_total}). Closing stops it.
 */
final class LlamaServerSupervisor implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LlamaServerSupervisor.class);

    private final LlamaServerSettings settings;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final Counter restarts;
    private final Thread watcher;
    private volatile LlamaServerProcess child;
    private volatile boolean running;
    private volatile boolean closed;

    LlamaServerSupervisor(LlamaServerSettings settings, MeterRegistry registry) {
        this.settings = settings;
        this.restarts = Counter.builder("switchboard.engine.restarts").tags(Tags.of("engine", "llama-server"))
                .description("Times the managed engine was started again after it died").register(registry);
        this.child = LlamaServerProcess.start(settings, http);
        this.running = true;
        this.watcher = Thread.ofPlatform().daemon().name("llama-server-supervisor").start(this::supervise);
    }

    /** True while the child is alive (it may still be loading after a restart: see its health). */
    boolean running() {
        return running && !closed;
    }

    OptionalLong pid() {
        LlamaServerProcess c = child;
        return c == null || !c.alive() ? OptionalLong.empty() : OptionalLong.of(c.pid());
    }

    private void supervise() {
        while (!closed) {
            LlamaServerProcess current = child;
            current.onExit().join();
            running = false;
            if (closed) {
                return;
            }
            LOG.warnf("llama-server (pid %d) exited with code %d; restarting. Last output: %s", current.pid(),
                    current.exitCode(), current.lastOutput());
            restart();
        }
    }

    private void restart() {
        Duration backoff = settings.restartBackoff();
        while (!closed) {
            try {
                Thread.sleep(backoff.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            try {
                restarts.increment();
                LlamaServerProcess started = LlamaServerProcess.start(settings, http);
                child = started;
                if (closed) {
                    started.stop(settings.stopGrace()); // closed while it was starting
                    return;
                }
                running = true;
                return;
            } catch (RuntimeException e) {
                LOG.errorf("llama-server did not restart: %s; next try in %s", e.getMessage(), backoff);
                backoff = backoff.multipliedBy(2).compareTo(settings.maxRestartBackoff()) > 0 ? settings.maxRestartBackoff()
                        : backoff.multipliedBy(2);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        running = false;
        watcher.interrupt();
        LlamaServerProcess c = child;
        if (c != null) {
            c.stop(settings.stopGrace());
        }
        http.close();
    }
}
