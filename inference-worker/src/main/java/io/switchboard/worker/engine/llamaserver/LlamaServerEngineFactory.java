package io.switchboard.worker.engine.llamaserver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Identifier;
import io.switchboard.schema.event.Feature;
import io.switchboard.worker.WorkerConfig;
import io.switchboard.worker.engine.EngineFactory;
import io.switchboard.worker.engine.InferenceEngine;
import io.switchboard.worker.engine.LlamaEngineFactory;
import io.switchboard.worker.engine.openai.Flavor;
import io.switchboard.worker.engine.openai.OpenAiEngine;
import io.switchboard.worker.engine.openai.OpenAiEngineFactory;
import io.switchboard.worker.engine.openai.OpenAiSettings;
import io.switchboard.worker.engine.openai.ToolCallIds;
import io.switchboard.worker.engine.openai.UpstreamMetrics;
import io.vertx.core.Vertx;

/**
 * {@code llama-server}: the executable at {@code switchboard.worker.llama-server.path} serving
 * {@code switchboard.worker.llama.model} with the worker's slots, started and supervised by the worker.
 */
@ApplicationScoped
@Identifier("llama-server")
public class LlamaServerEngineFactory implements EngineFactory {
    /** What this llama-server does: n by fan-out, logprobs, json_object, json_schema (its own field), tools. */
    static final Set<Feature> FEATURES = Set.of(Feature.N, Feature.LOGPROBS, Feature.JSON_OBJECT, Feature.JSON_SCHEMA,
            Feature.TOOLS);

    @Inject
    MeterRegistry registry;
    @Inject
    Vertx vertx;

    @Override
    public InferenceEngine create(WorkerConfig config) {
        WorkerConfig.LlamaServer c = config.llamaServer();
        Path binary = Path.of(c.path().orElseThrow(() -> new IllegalArgumentException(
                "switchboard.worker.llama-server.path (SWITCHBOARD_LLAMA_SERVER) must name the llama-server executable")));
        Path model = LlamaEngineFactory.modelFile(config);
        LlamaServerSettings settings = new LlamaServerSettings(binary, model, config.slots(), config.llama().ctxPerSlot(),
                config.llama().threads().orElse(defaultThreads()), config.llama().gpuLayers(), c.port().orElseGet(
                        LlamaServerEngineFactory::freePort),
                c.extraArgs().orElse(List.of()), c.startTimeout(), c.stopGrace(), c.restartBackoff(),
                c.maxRestartBackoff());
        URI base = URI.create("http://127.0.0.1:" + settings.port() + "/v1");
        String modelId = LlamaEngineFactory.modelId(config, model);
        OpenAiSettings upstream = OpenAiEngineFactory.settings(config.openai(), base, modelId);
        return create(settings, upstream, modelId, registry, vertx);
    }

    /** Starts the child and the client that drives it; start-up fails if the child cannot start. */
    public static LlamaServerEngine create(LlamaServerSettings settings, OpenAiSettings upstream, String modelId,
            MeterRegistry registry, Vertx vertx) {
        check(settings.binary(), "llama-server executable", true);
        check(settings.model(), "model file", false);
        OpenAiSettings fixed = OpenAiSettings.of(upstream.baseUrl(), modelId, Flavor.LLAMA_SERVER)
                .withTimeouts(upstream.connectTimeout(), upstream.firstTokenTimeout(), upstream.idleTimeout(),
                        upstream.answerTimeout())
                .withHealthInterval(upstream.healthInterval())
                .withChoices(upstream.maxN(), false)
                .withModelInfo(upstream.aliases(), settings.ctxPerSlot(), FEATURES);
        LlamaServerSupervisor supervisor = new LlamaServerSupervisor(settings, registry);
        try {
            UpstreamMetrics metrics = new UpstreamMetrics(registry, "llama-server");
            OpenAiEngine client = new OpenAiEngine("llama-server", modelId, fixed, metrics, ToolCallIds.random(), vertx);
            LlamaServerEngine engine = new LlamaServerEngine(supervisor, client);
            metrics.availability(() -> engine.capabilities().available());
            return engine;
        } catch (RuntimeException e) {
            supervisor.close();
            throw e;
        }
    }

    private static void check(Path path, String what, boolean executable) {
        if (!Files.isRegularFile(path) || (executable && !Files.isExecutable(path))) {
            throw new IllegalArgumentException(what + " not found" + (executable ? " or not executable" : "") + ": " + path);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One core fewer than the machine has (at least one), when {@code switchboard.worker.llama.threads} is not set:
     * llama.cpp's threads wait for each other at every step by spinning, so one of them preempted by the worker (which
     * relays every token) stalls the whole step. On 2 cores, -t 2 beside the worker measured 3x slower per token than -t 1.
     */
    static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
    }
}
