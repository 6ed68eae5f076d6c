package io.switchboard.worker.engine.openai;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

/**
 * Reads the upstream's health every health-interval (up while it answers 2xx) and, where it has Prometheus metrics,
 * its load: llama-server's {@code llamacpp:requests_processing}, {@code requests_deferred},
 * {@code kv_cache_usage_ratio}; vLLM's {@code vllm:num_requests_running}, {@code num_requests_waiting},
 * {@code gpu_cache_usage_perc} (or {@code kv_cache_usage_perc}).
 */
final class UpstreamHealth implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(UpstreamHealth.class);

    private final HttpClient client;
    private final OpenAiSettings settings;
    private final UpstreamMetrics metrics;
    private final ScheduledExecutorService timer;
    private volatile boolean up;

    UpstreamHealth(HttpClient client, OpenAiSettings settings, UpstreamMetrics metrics) {
        this.client = client;
        this.settings = settings;
        this.metrics = metrics;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "engine-health");
            t.setDaemon(true);
            return t;
        });
    }

    /** Checks once now, then every health-interval. */
    void start() {
        check();
        long every = settings.healthInterval().toMillis();
        timer.scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
    }

    boolean up() {
        return up;
    }

    /** A request found the upstream unreachable: down until the next check says otherwise. */
    void markDown() {
        up = false;
    }

    void check() {
        boolean now = healthy();
        if (now != up) {
            LOG.infof("upstream %s is %s", settings.baseUrl(), now ? "up" : "down");
        }
        up = now;
        if (now && settings.metricsUrl() != null) {
            readLoad();
        }
    }

    private boolean healthy() {
        try {
            return get(settings.healthUrl()).statusCode() / 100 == 2;
        } catch (Exception e) {
            return false;
        }
    }

    private void readLoad() {
        try {
            HttpResponse<String> r = get(settings.metricsUrl());
            if (r.statusCode() / 100 != 2) {
                return;
            }
            Map<String, Double> m = PrometheusText.parse(r.body());
            if (settings.flavor() == Flavor.LLAMA_SERVER) {
                metrics.load(m.get("llamacpp:requests_processing"), m.get("llamacpp:requests_deferred"),
                        m.get("llamacpp:kv_cache_usage_ratio"));
            } else {
                metrics.load(m.get("vllm:num_requests_running"), m.get("vllm:num_requests_waiting"),
                        m.getOrDefault("vllm:gpu_cache_usage_perc", m.get("vllm:kv_cache_usage_perc")));
            }
        } catch (Exception e) {
            LOG.debugf("cannot read the upstream's metrics: %s", e.toString());
        }
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(settings.connectTimeout().plus(Duration.ofSeconds(2)))
                .GET();
        if (settings.apiKey() != null) {
            b.header("Authorization", "Bearer " + settings.apiKey());
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
