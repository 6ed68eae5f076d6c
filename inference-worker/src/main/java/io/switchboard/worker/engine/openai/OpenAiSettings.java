package io.switchboard.worker.engine.openai;

import java.net.URI;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import io.switchboard.schema.event.Feature;

/**
 * How the {@code openai} engine reaches and uses one upstream server (built from {@code switchboard.worker.openai.*}).
 *
 * @param baseUrl           the OpenAI API base, with its {@code /v1}
 * @param apiKey            sent as a bearer token; null for none
 * @param upstreamModel     what to send as {@code model}
 * @param flavor            the upstream's kind, for its quirks
 * @param aliases           other names of the model, announced
 * @param contextLength     context tokens per sequence, announced (0: unknown)
 * @param features          features announced
 * @param maxN              the most choices per request
 * @param nativeN           send {@code n} upstream rather than fanning out
 * @param streamTools       stream when tools are on (else the answer comes whole and is cut into stream pieces)
 * @param connectTimeout    time to connect
 * @param firstTokenTimeout time from the request to the first piece
 * @param idleTimeout       longest silence between pieces
 * @param answerTimeout     time to a whole (non-streamed) answer
 * @param healthInterval    how often health and metrics are read
 * @param healthUrl         health endpoint
 * @param metricsUrl        Prometheus endpoint, or null
 * @param trustCertificates PEM files of the certificates an {@code https} upstream's chain must end in, instead of the
 *                          JVM's default trust store; empty for the default (a public provider)
 */
public record OpenAiSettings(URI baseUrl, String apiKey, String upstreamModel, Flavor flavor, List<String> aliases,
        int contextLength, Set<Feature> features, int maxN, boolean nativeN, boolean streamTools, Duration connectTimeout,
        Duration firstTokenTimeout, Duration idleTimeout, Duration answerTimeout, Duration healthInterval, URI healthUrl,
        URI metricsUrl, List<String> trustCertificates) {

    /** Features announced when configuration names none. */
    public static final Set<Feature> DEFAULT_FEATURES = EnumSet.of(Feature.N, Feature.LOGPROBS, Feature.JSON_OBJECT,
            Feature.JSON_SCHEMA, Feature.TOOLS);

    public OpenAiSettings {
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
        features = features == null ? Set.of() : Set.copyOf(features);
        trustCertificates = trustCertificates == null ? List.of() : List.copyOf(trustCertificates);
        apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
        healthUrl = healthUrl == null ? flavor.defaultHealthUrl(baseUrl) : healthUrl;
    }

    /** The defaults of a flavor: its health and metrics endpoints, the default features, fan-out for n. */
    public static OpenAiSettings of(URI baseUrl, String upstreamModel, Flavor flavor) {
        return new OpenAiSettings(baseUrl, null, upstreamModel, flavor, List.of(), 0, DEFAULT_FEATURES, 8, false,
                flavor.streamsTools(), Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(30),
                Duration.ofMinutes(5), Duration.ofSeconds(2), null, flavor.defaultMetricsUrl(baseUrl), List.of());
    }

    public OpenAiSettings withApiKey(String key) {
        return new OpenAiSettings(baseUrl, key, upstreamModel, flavor, aliases, contextLength, features, maxN, nativeN,
                streamTools, connectTimeout, firstTokenTimeout, idleTimeout, answerTimeout, healthInterval, healthUrl,
                metricsUrl, trustCertificates);
    }

    public OpenAiSettings withTimeouts(Duration connect, Duration firstToken, Duration idle, Duration answer) {
        return new OpenAiSettings(baseUrl, apiKey, upstreamModel, flavor, aliases, contextLength, features, maxN, nativeN,
                streamTools, connect, firstToken, idle, answer, healthInterval, healthUrl, metricsUrl,
                trustCertificates);
    }

    public OpenAiSettings withHealthInterval(Duration interval) {
        return new OpenAiSettings(baseUrl, apiKey, upstreamModel, flavor, aliases, contextLength, features, maxN, nativeN,
                streamTools, connectTimeout, firstTokenTimeout, idleTimeout, answerTimeout, interval, healthUrl,
                metricsUrl, trustCertificates);
    }

    public OpenAiSettings withChoices(int maxN, boolean nativeN) {
        return new OpenAiSettings(baseUrl, apiKey, upstreamModel, flavor, aliases, contextLength, features, maxN, nativeN,
                streamTools, connectTimeout, firstTokenTimeout, idleTimeout, answerTimeout, healthInterval, healthUrl,
                metricsUrl, trustCertificates);
    }

    public OpenAiSettings withModelInfo(List<String> aliases, int contextLength, Set<Feature> features) {
        return new OpenAiSettings(baseUrl, apiKey, upstreamModel, flavor, aliases, contextLength, features, maxN, nativeN,
                streamTools, connectTimeout, firstTokenTimeout, idleTimeout, answerTimeout, healthInterval, healthUrl,
                metricsUrl, trustCertificates);
    }

    public OpenAiSettings withEndpoints(URI health, URI metrics, boolean streamTools) {
        return new OpenAiSettings(baseUrl, apiKey, upstreamModel, flavor, aliases, contextLength, features, maxN, nativeN,
                streamTools, connectTimeout, firstTokenTimeout, idleTimeout, answerTimeout, healthInterval,
                health == null ? flavor.defaultHealthUrl(baseUrl) : health, metrics, trustCertificates);
    }

    /** The same upstream, its certificate checked against the certificates in these PEM files only. */
    public OpenAiSettings withTrustCertificates(List<String> pemFiles) {
        return new OpenAiSettings(baseUrl, apiKey, upstreamModel, flavor, aliases, contextLength, features, maxN, nativeN,
                streamTools, connectTimeout, firstTokenTimeout, idleTimeout, answerTimeout, healthInterval, healthUrl,
                metricsUrl, pemFiles);
    }

    /** {@code POST} target of chat completions. */
    URI chatCompletionsUrl() {
        return Flavor.resolve(baseUrl, "chat/completions");
    }

    @Override
    public String toString() {
        // never the key
        return "OpenAiSettings[" + baseUrl + ", model " + upstreamModel + ", " + flavor.wire() + "]";
    }
}
