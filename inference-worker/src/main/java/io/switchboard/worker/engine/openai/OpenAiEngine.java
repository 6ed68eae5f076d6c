package io.switchboard.worker.engine.openai;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.Feature;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.wire.Json;
import io.switchboard.worker.engine.ChoiceFanOut;
import io.switchboard.worker.engine.EngineException;
import io.switchboard.worker.engine.InferenceEngine;
import io.switchboard.worker.engine.openai.UpstreamExchange.Cancelled;
import io.switchboard.worker.engine.openai.UpstreamExchange.End;
import io.switchboard.worker.engine.openai.UpstreamExchange.Failed;
import io.switchboard.worker.engine.openai.UpstreamExchange.Item;
import io.switchboard.worker.engine.openai.UpstreamExchange.Line;
import io.switchboard.worker.engine.openai.UpstreamExchange.Status;
import io.switchboard.worker.engine.openai.UpstreamExchange.Stopped;
import io.switchboard.worker.engine.openai.UpstreamExchange.TimedOut;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * Any OpenAI-compatible server (llama.cpp's llama-server, vLLM, SGLang, a cloud provider) driven over streaming HTTP:
 * each job becomes one {@code POST /chat/completions} ({@code n} of them at once unless the upstream takes {@code n}
 * itself), whose chunks are checked and handed to the sink as they arrive. A cancel closes the connection, which
 * makes the upstream stop generating. Available while the upstream's health endpoint answers.
 * <p>
 * Spoken to with Vert.x's HTTP client, on the event loop of the job's stream writer ({@link EventSink#context}): the
 * request goes out from there (on a pooled connection of that event loop when one is free) and each token, read there,
 * reaches the writer's Redis connection without a hand-over to another thread.
 */
public final class OpenAiEngine implements InferenceEngine {
    private final String kind;
    private final String modelId;
    private final OpenAiSettings settings;
    private final UpstreamMetrics metrics;
    private final Supplier<String> toolCallIds;
    private final Vertx vertx;
    private final HttpClient client;
    /**
     * Connections of their own: for a request sent again because its kept-alive connection was found closed, and for
     * the health checks.
     */
    private final HttpClient fresh;
    /** Where chat completions are posted, resolved once. */
    private final String chatCompletionsUrl;
    private final UpstreamHealth health;
    private final EngineCapabilities capabilities;
    /** The upstream is on this machine: a connect not answered at once is tried again ({@link #LOOPBACK_CONNECT_ATTEMPT_MS}). */
    private final boolean loopback;

    /** The most connections open to the upstream at once. */
    static final int MAX_CONNECTIONS = 1024;
    /** How long a kept-alive connection to the upstream may stay unused before it is closed. */
    static final int KEEP_ALIVE_SECONDS = 2;
    /**
     * How long one attempt to connect to an upstream on this machine (a loopback address) may take before another is
     * made, within the connect timeout: the kernel answers a loopback connect in microseconds unless the upstream's
     * accept queue is full, and then drops the SYN and sends it again only after a second.
     */
    static final long LOOPBACK_CONNECT_ATTEMPT_MS = 100;
    /** Connects tried again at most per request, the last of them waiting out the connect timeout: a few, not a storm. */
    static final int LOOPBACK_CONNECT_RETRIES = 3;

    public OpenAiEngine(String kind, String modelId, OpenAiSettings settings, UpstreamMetrics metrics,
            Supplier<String> toolCallIds, Vertx vertx) {
        this.kind = kind;
        this.modelId = modelId;
        this.settings = settings;
        this.metrics = metrics;
        this.toolCallIds = toolCallIds;
        this.vertx = vertx;
        this.chatCompletionsUrl = settings.chatCompletionsUrl().toString();
        this.loopback = loopback(settings.baseUrl().getHost());
        // connections are kept alive and reused on the event loop that asks (Vert.x picks a pooled connection of that
        // loop first), and closed after KEEP_ALIVE_SECONDS unused: before the upstream closes them itself (llama-server
        // and uvicorn, vLLM's server, after 5 s), which would race with a request sent on one; the bound is far above
        // any worker's slots: it only stops a runaway
        HttpClientOptions options = new HttpClientOptions()
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()))
                .setKeepAlive(true).setKeepAliveTimeout(KEEP_ALIVE_SECONDS).setVerifyHost(true).setForceSni(true);
        UpstreamTls.trust(options, settings.trustCertificates(), vertx);
        // a connection the upstream did not accept at once (its SYN dropped) is closed by the client and opened again
        // (see LOOPBACK_CONNECT_ATTEMPT_MS); the other clients wait out the connect timeout
        HttpClientOptions pooled = loopback ? new HttpClientOptions(options).setConnectTimeout(
                (int) Math.min(LOOPBACK_CONNECT_ATTEMPT_MS, settings.connectTimeout().toMillis())) : options;
        this.client = vertx.createHttpClient(pooled, new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS));
        this.fresh = vertx.createHttpClient(new HttpClientOptions(options).setKeepAlive(false),
                new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS));
        this.capabilities = new EngineCapabilities(settings.aliases(), settings.contextLength(),
                settings.features().contains(Feature.N) ? settings.maxN() : 1, settings.features(), false);
        // health and metrics on a connection each: one taken from the pool may be one the upstream is closing
        // (llama-server closes each connection after a streamed answer), and a check failed by it would stop the
        // worker for a health interval
        this.health = new UpstreamHealth(fresh, settings, metrics);
        health.start();
    }

    /**
     * Whether {@code host} is this machine's loopback: {@code localhost} (or a name under it, RFC 6761), or an address
     * literal that is one; a name is never looked up.
     */
    static boolean loopback(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        h = h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
        if (h.equalsIgnoreCase("localhost") || h.toLowerCase(java.util.Locale.ROOT).endsWith(".localhost")) {
            return true;
        }
        if (!h.contains(":") && !h.matches("[0-9.]+")) {
            return false; // a name: not looked up
        }
        try {
            // an address literal: only checked, never looked up
            return java.net.InetAddress.getByName(h).isLoopbackAddress();
        } catch (java.net.UnknownHostException notAnAddress) {
            return false;
        }
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public EngineCapabilities capabilities() {
        return capabilities.withAvailable(health.up());
    }

    /** Whether the last health check (or request) found the upstream serving. */
    public boolean upstreamUp() {
        return health.up();
    }

    @Override
    public Generation generate(InferenceJob job, EventSink sink, BooleanSupplier cancelled) {
        return settings.nativeN() ? call(job, sink, cancelled) : ChoiceFanOut.run(job, sink, cancelled, this::call);
    }

    private Generation call(InferenceJob job, EventSink sink, BooleanSupplier cancelled) {
        String outcome = "ok";
        try {
            Generation g = exchange(job, sink, cancelled);
            outcome = g.cancelled() ? "cancelled" : outcome;
            return g;
        } catch (EngineException e) {
            outcome = e.code().wire();
            if (e.code() == FailureCode.ENGINE_UNAVAILABLE) {
                health.markDown();
            }
            throw e;
        } finally {
            metrics.request(outcome);
        }
    }

    private Generation exchange(InferenceJob job, EventSink sink, BooleanSupplier cancelled) {
        // an upstream that cannot stream tools answers whole; the answer is then cut into stream pieces
        boolean stream = settings.streamTools() || !job.options().toolsEnabled();
        int n = job.options().n();
        ChunkTranslator chunks = new ChunkTranslator(n, n > 1, sink, toolCallIds);
        long start = System.nanoTime();
        Duration firstWait = stream ? settings.firstTokenTimeout() : settings.answerTimeout();
        RequestOptions request = request(stream);
        byte[] body = Json.writeBytes(UpstreamRequest.body(job, settings, stream));
        // the sink's own event loop, where its writes go out (else one of Vert.x's, kept for this thread)
        Context context = sink.context() != null ? sink.context() : vertx.getOrCreateContext();
        // a streamed answer is read where its lines arrive; this thread only waits for its end
        StreamedAnswer streamed = stream ? new StreamedAnswer(chunks, cancelled) : null;
        UpstreamExchange sent = UpstreamExchange.send(client, request, body, streamed, context);
        Item first = sent.next(firstWait, cancelled);
        long sentAt = start;
        for (int retry = 1; loopback && UpstreamExchange.connectTimedOut(first) && !cancelled.getAsBoolean()
                && retry <= LOOPBACK_CONNECT_RETRIES; retry++) {
            // nothing was sent: the SYN was dropped (the upstream's accept queue was full; llama-server's holds 5), and
            // the kernel would send it again only after a second; the last try, on a client of its own, waits out the
            // connect timeout
            metrics.retriedConnect();
            sentAt = System.nanoTime();
            sent = UpstreamExchange.send(retry < LOOPBACK_CONNECT_RETRIES ? client : fresh, request, body, streamed,
                    context);
            first = sent.next(untilFirst(start, firstWait), cancelled);
        }
        if (UpstreamExchange.staleConnection(first, sentAt) && !cancelled.getAsBoolean()) {
            sent.close(); // the request was never read: once more, on a new connection
            metrics.retriedConnection();
            // nothing was read into the answer: no status came; not on another pooled connection, which may be as stale
            sent = UpstreamExchange.send(fresh, request, body, streamed, context);
            first = sent.next(untilFirst(start, firstWait), cancelled);
        }
        try (UpstreamExchange exchange = sent) {
            if (!(first instanceof Status status)) {
                // a cancel or a timeout may have come while the status was arriving: the client's thread may be
                // reading the body into the answer; stop that before anything here reads the translator
                if (streamed != null) {
                    streamed.stop();
                }
                return ended(first, chunks);
            }
            if (status.code() / 100 != 2) {
                throw UpstreamFailures.status(status.code(), errorBody(exchange, cancelled), 0, 0);
            }
            return stream ? readStream(exchange, streamed, chunks, cancelled, start)
                    : readWhole(exchange, chunks, cancelled, start, job.options().toolCallForced());
        }
    }

    /** What is left of the wait for the first item of an exchange started at {@code start} (at least 1 ns). */
    private static Duration untilFirst(long start, Duration firstWait) {
        return Duration.ofNanos(Math.max(1, start + firstWait.toNanos() - System.nanoTime()));
    }

    private RequestOptions request(boolean stream) {
        RequestOptions r = new RequestOptions().setMethod(HttpMethod.POST)
                .setAbsoluteURI(chatCompletionsUrl)
                .putHeader("Content-Type", "application/json")
                .putHeader("Accept", stream ? "text/event-stream" : "application/json");
        if (settings.apiKey() != null) {
            r.putHeader("Authorization", "Bearer " + settings.apiKey());
        }
        return r;
    }

    /**
     * Waits for the end of a streamed answer whose lines {@code answer} reads as they arrive: {@code [DONE]} (or a chunk
     * that broke it), the body's end, or a failure, a timeout (first token, then idle since the last line) or a cancel.
     */
    private Generation readStream(UpstreamExchange exchange, StreamedAnswer answer, ChunkTranslator chunks,
            BooleanSupplier cancelled, long start) {
        long firstDeadline = start + settings.firstTokenTimeout().toNanos();
        long idle = settings.idleTimeout().toNanos();
        Item item = exchange.next(() -> answer.deadlineNanos(firstDeadline, idle), cancelled, answer::pollNanos);
        if (item instanceof Stopped && answer.stoppedByCancel()) {
            exchange.abort(); // the upstream stops generating
            return ended(new Cancelled(), chunks);
        }
        if (item instanceof Stopped) {
            Generation g = answer.result(); // throws what broke the answer
            exchange.finish();
            return g;
        }
        if (item instanceof End) {
            return answer.ended();
        }
        answer.stop();
        return ended(item, chunks);
    }

    private Generation readWhole(UpstreamExchange exchange, ChunkTranslator chunks, BooleanSupplier cancelled,
            long start, boolean forcedCall) {
        StringBuilder body = new StringBuilder();
        long deadline = start + settings.answerTimeout().toNanos();
        while (true) {
            Item item = exchange.next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())), cancelled);
            if (item instanceof Line line) {
                body.append(line.text()).append('\n');
            } else if (item instanceof End) {
                break;
            } else {
                return ended(item, chunks);
            }
        }
        for (ObjectNode chunk : WholeAnswer.chunks(parse(body.toString(), chunks), forcedCall)) {
            chunks.accept(chunk);
        }
        return chunks.finish();
    }

    /** The exchange stopped before the answer was complete: cancelled, timed out, or its connection failed. */
    private static Generation ended(Item item, ChunkTranslator chunks) {
        int prompt = chunks.promptTokensSoFar();
        int completion = chunks.completionTokensSoFar();
        return switch (item) {
            case Cancelled c -> chunks.cancelled();
            case TimedOut t -> throw UpstreamFailures.timeout(prompt, completion);
            case Failed f -> throw UpstreamFailures.transport(f.cause(), prompt, completion);
            case End e -> throw UpstreamFailures.badOutput("the answer ended early", prompt, completion);
            default -> throw UpstreamFailures.badOutput("unexpected " + item, prompt, completion);
        };
    }

    private String errorBody(UpstreamExchange exchange, BooleanSupplier cancelled) {
        StringBuilder body = new StringBuilder();
        while (body.length() < 8192) {
            Item item = exchange.next(settings.idleTimeout(), cancelled);
            if (!(item instanceof Line line)) {
                break;
            }
            body.append(line.text()).append('\n');
        }
        return body.toString();
    }

    static JsonNode parse(String json, ChunkTranslator chunks) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw UpstreamFailures.badOutput("broken JSON", chunks.promptTokensSoFar(), chunks.completionTokensSoFar());
        }
    }

    @Override
    public void close() {
        health.close();
        client.close();
        fresh.close();
    }
}
