package io.switchboard.worker.engine.openai;

import java.net.URI;
import java.util.Locale;

/**
 * What kind of server speaks OpenAI's API upstream, for the few things they do differently: which sampling
 * parameters they accept, how a JSON schema is sent, whether tools can stream, and where health and metrics live.
 */
public enum Flavor {
    /** OpenAI itself or a provider as strict as it: no llama.cpp/vLLM sampling extras, {@code max_completion_tokens}. */
    OPENAI("openai", true),
    /** vLLM (and SGLang): OpenAI's form plus top_k, min_p, ignore_eos; {@code /health} and {@code /metrics}. */
    VLLM("vllm", true),
    /**
     * llama.cpp's server: takes a JSON schema as a top-level {@code json_schema} field (ignores OpenAI's form),
     * refuses tools with {@code stream: true}, counts only {@code max_tokens}.
     */
    LLAMA_SERVER("llama-server", false);

    private final String wire;
    private final boolean streamsTools;

    Flavor(String wire, boolean streamsTools) {
        this.wire = wire;
        this.streamsTools = streamsTools;
    }

    public String wire() {
        return wire;
    }

    /** Whether the server streams answers that use tools. */
    public boolean streamsTools() {
        return streamsTools;
    }

    public static Flavor of(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (Flavor f : values()) {
            if (f.wire.equals(n)) {
                return f;
            }
        }
        throw new IllegalArgumentException("switchboard.worker.openai.flavor must be openai, vllm or llama-server, not '"
                + name + "'");
    }

    /** Where health is read by default: {@code /health} of the server root, or the model list of a cloud API. */
    URI defaultHealthUrl(URI baseUrl) {
        return this == OPENAI ? resolve(baseUrl, "models") : serverRoot(baseUrl).resolve("/health");
    }

    /** Prometheus metrics by default, or null where the server has none. */
    URI defaultMetricsUrl(URI baseUrl) {
        return this == OPENAI ? null : serverRoot(baseUrl).resolve("/metrics");
    }

    static URI resolve(URI baseUrl, String path) {
        String base = baseUrl.toString();
        return URI.create(base.endsWith("/") ? base + path : base + "/" + path);
    }

    private static URI serverRoot(URI baseUrl) {
        return URI.create(baseUrl.getScheme() + "://" + baseUrl.getRawAuthority() + "/");
    }
}
