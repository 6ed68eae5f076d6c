package io.switchboard.worker.engine.openai;

import java.net.URI;
import java.util.EnumSet;
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
import io.vertx.core.Vertx;

/** {@code openai}: an OpenAI-compatible server at {@code switchboard.worker.openai.base-url}. */
@ApplicationScoped
@Identifier("openai")
public class OpenAiEngineFactory implements EngineFactory {
    @Inject
    MeterRegistry registry;
    @Inject
    Vertx vertx;

    @Override
    public InferenceEngine create(WorkerConfig config) {
        WorkerConfig.OpenAi openai = config.openai();
        String baseUrl = openai.baseUrl().orElseThrow(() -> new IllegalArgumentException(
                "switchboard.worker.openai.base-url must name the upstream's OpenAI API base (e.g. http://host:8000/v1)"));
        String modelId = config.modelId().or(openai::upstreamModel).orElseThrow(() -> new IllegalArgumentException(
                "switchboard.worker.model-id or switchboard.worker.openai.upstream-model must name the model"));
        UpstreamMetrics metrics = new UpstreamMetrics(registry, "openai");
        OpenAiEngine engine = new OpenAiEngine("openai", modelId, settings(openai, URI.create(baseUrl),
                openai.upstreamModel().orElse(modelId)), metrics, ToolCallIds.random(), vertx);
        metrics.availability(() -> engine.capabilities().available());
        return engine;
    }

    /** The engine's settings from configuration, for an upstream at {@code baseUrl}. */
    public static OpenAiSettings settings(WorkerConfig.OpenAi c, URI baseUrl, String upstreamModel) {
        Flavor flavor = Flavor.of(c.flavor());
        return OpenAiSettings.of(baseUrl, upstreamModel, flavor)
                .withApiKey(c.apiKey().orElse(null))
                .withModelInfo(c.aliases().orElse(List.of()), c.contextLength(), features(c.features()))
                .withChoices(c.maxN(), c.nativeN())
                .withTimeouts(c.connectTimeout(), c.firstTokenTimeout(), c.idleTimeout(), c.answerTimeout())
                .withHealthInterval(c.healthInterval())
                .withEndpoints(c.healthUrl().map(URI::create).orElse(null),
                        c.metricsUrl().map(URI::create).orElse(flavor.defaultMetricsUrl(baseUrl)),
                        c.streamTools().orElse(flavor.streamsTools()))
                .withTrustCertificates(c.trustCertificates().orElse(List.of()));
    }

    static Set<Feature> features(List<String> names) {
        Set<Feature> out = EnumSet.noneOf(Feature.class);
        for (String name : names) {
            Feature f = Feature.fromWire(name.trim());
            if (f == null) {
                throw new IllegalArgumentException("switchboard.worker.openai.features: unknown feature '" + name + "'");
            }
            out.add(f);
        }
        return out;
    }
}
