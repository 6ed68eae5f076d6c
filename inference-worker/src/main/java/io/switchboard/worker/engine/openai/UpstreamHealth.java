package io.switchboard.worker.engine.openai;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.vertx.core.Context;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

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
    /** The last failed check's reason (checks run one at a time, on the timer's thread); null after a healthy one. */
    private String lastFailure;

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

    /**
     * Checks once now, then every health-interval. Never on an event loop: the check waits for its answer, which may
     * need that loop; there it is the timer's first task instead.
     */
    void start() {
        long every = settings.healthInterval().toMillis();
        long first = every;
        if (Context.isOnEventLoopThread()) {
            first = 0;
        } else {
            check();
        }
        timer.scheduleWithFixedDelay(this::check, first, every, TimeUnit.MILLISECONDS);
    }

    boolean up() {
        return up;
    }

    /** A request found the upstream unreachable: down until the next check says otherwise. */
    void markDown() {
        up = false;
    }

    void check() {
        String failure = failure();
        boolean now = failure == null;
        if (now && !up) {
            LOG.infof("upstream %s is up", settings.baseUrl());
        } else if (!now && (up || !failure.equals(lastFailure))) {
            // at the first failed check too (the engine starts down), and whenever the reason changes
            LOG.warnf("upstream %s is down: %s", settings.baseUrl(), failure);
        }
        lastFailure = failure;
        up = now;
        if (now && settings.metricsUrl() != null) {
            readLoad();
        }
    }

    /** Why the upstream is not healthy (its answer's status, or the transport's failure); null when it is. */
    private String failure() {
        try {
            int status = get(settings.healthUrl()).status();
            return status / 100 == 2 ? null : "its health check answered " + status;
        } catch (Exception e) {
            return UpstreamFailures.transport(e, 0, 0).getMessage() + " (" + e + ")";
        }
    }

    private void readLoad() {
        try {
            Answer r = get(settings.metricsUrl());
            if (r.status() / 100 != 2) {
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

    private record Answer(int status, String body) {
    }

    /** GET {@code uri}, waited for on this (the timer's) thread, never on an event loop. */
    private Answer get(URI uri) throws Exception {
        long timeoutMs = settings.connectTimeout().toMillis() + 2000;
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(uri.toString())
                .setIdleTimeout(timeoutMs);
        if (settings.apiKey() != null) {
            o.putHeader("Authorization", "Bearer " + settings.apiKey());
        }
        return client.request(o)
                .compose(request -> request.send().compose(response -> response.body()
                        .map(body -> new Answer(response.statusCode(), body.toString(StandardCharsets.UTF_8)))))
                .toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
