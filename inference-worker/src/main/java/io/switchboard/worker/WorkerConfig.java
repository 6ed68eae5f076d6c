package io.switchboard.worker;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Worker settings ({@code switchboard.worker.*}; env {@code SWITCHBOARD_WORKER_*}). */
@ConfigMapping(prefix = "switchboard.worker")
public interface WorkerConfig {

    /** Unique id of this worker process; default: a random id (a restarted worker is a new worker). */
    Optional<String> id();

    /**
     * The engine, by name: {@code llama} (llama.cpp in-process), {@code simulated} (no model, for load tests),
     * {@code openai} (any OpenAI-compatible server over HTTP) or {@code llama-server} (llama.cpp's server, started and
     * supervised by the worker). Required; an unknown name fails start-up.
     */
    String engine();

    /** Model id clients ask for; default: the GGUF file name without extension (llama), or "simulated". */
    Optional<String> modelId();

    /**
     * Which provider this worker is to the router: {@code local} (the fleet's own engine) or {@code cloud} (an
     * {@code openai} engine in front of a cloud provider). Requests run locally first and overflow to the cloud.
     */
    @WithDefault("local")
    String provider();

    /** Other names clients may use for the model (comma-separated); listed by the gateway's {@code GET /v1/models}. */
    Optional<java.util.List<String>> aliases();

    /** Sequences run at once (llama.cpp parallel slots). */
    @WithDefault("4")
    int slots();

    /** How often the worker heartbeats its capacity to the routers (their Redis inbox: liveness, slots, running jobs). */
    @WithDefault("1s")
    Duration heartbeatInterval();

    /**
     * How often the worker's heartbeat goes on Kafka for the gateways' model catalog while its models, engine,
     * capabilities and provider stay the same (a heartbeat that changes any of them goes at once). Keep it well below
     * the gateways' {@code model-liveness} (10 s), after which a model no heartbeat announced is no longer listed.
     */
    @WithDefault("3s")
    Duration catalogInterval();

    /** On shutdown, how long to wait for the stopped sequences to write their last event before the model closes. */
    @WithDefault("10s")
    Duration drainTimeout();

    /** Entries a job stream keeps at most (approximate trimming). */
    @WithDefault("10000")
    long streamMaxLen();

    /**
     * Redis connections held for writing token streams, each on an event loop of its own; every job's writes are
     * pipelined on one of them ({@code StreamConnections}).
     */
    @WithDefault("2")
    int streamConnections();

    /**
     * How long a token-stream connection may leave a command unanswered (or take to connect) before it is given up and
     * the writes on it are tried again on a new one. Long enough that a Redis that is only slow (a fork, a slow fsync)
     * answers first: a write given up on may still run, and its retry would then repeat it.
     */
    @WithDefault("30s")
    Duration streamUnansweredTimeout();

    /** How long a job stream is kept after its terminal event: a client may resume it meanwhile. */
    @WithDefault("5m")
    Duration streamTtlAfterEnd();

    /**
     * The shortest time between two rounds of writes of a job's stream after its first (a round: one write for each
     * choice with something pending): what a choice produces meanwhile goes out together, in one stream entry and one
     * chunk to the client (the first token and the terminal event are never held). Each write costs the worker, Redis
     * and the gateway the same whatever it carries, and on a machine the engine shares that is CPU the engine does not
     * get: SGLang's {@code --stream-interval} makes the same trade in tokens. {@code 0} (the default) writes whenever
     * the last write was answered: measured side by side through llama-server at 1 to 8 streams (four pairs), 5 ms
     * cut Redis's CPU by 14 to 44%, but moved the tokens/s by less than this machine's noise (README, "Engines").
     */
    @WithDefault("0")
    Duration streamInterval();

    /** llama.cpp engine settings. */
    Llama llama();

    /** Simulated engine settings. */
    Simulated simulated();

    /** Settings of the {@code openai} engine; the {@code llama-server} engine uses its timeouts and health interval. */
    OpenAi openai();

    /** Settings of the managed {@code llama-server} engine (model, slots and context come from {@code llama.*}). */
    LlamaServer llamaServer();

    interface Llama {
        /** Path of the GGUF model file. Required for the llama engine. */
        Optional<String> model();

        /** Context tokens per slot (llama.cpp gets slots × this). */
        @WithDefault("2048")
        int ctxPerSlot();

        /** CPU threads for generation; default: all cores. */
        Optional<Integer> threads();

        /** Layers offloaded to the GPU (CUDA builds of the binding only). */
        @WithDefault("0")
        int gpuLayers();

        /** Let llama.cpp log to stderr. */
        @WithDefault("false")
        boolean nativeLog();
    }

    interface Simulated {
        /** Time to first token. */
        @WithDefault("20ms")
        Duration timeToFirstToken();

        /** Tokens per second after the first, per sequence. */
        @WithDefault("100")
        double tokensPerSecond();
    }

    interface OpenAi {
        /** The upstream's OpenAI API base, with its {@code /v1} (e.g. {@code http://127.0.0.1:8080/v1}). Required. */
        Optional<String> baseUrl();

        /** Sent as {@code Authorization: Bearer}; from a secret (env {@code SWITCHBOARD_WORKER_OPENAI_API_KEY}). */
        Optional<String> apiKey();

        /** What to send as {@code model}; default: the worker's model id. */
        Optional<String> upstreamModel();

        /** What the upstream is, for its quirks: {@code openai}, {@code vllm} or {@code llama-server}. */
        @WithDefault("openai")
        String flavor();

        /** Other names clients may use for the model. */
        Optional<List<String>> aliases();

        /** Context tokens per sequence, announced to the gateway; 0 when unknown. */
        @WithDefault("0")
        int contextLength();

        /** Features announced (wire names of {@code Feature}: n, logprobs, json_object, json_schema, tools, ...). */
        @WithDefault("n,logprobs,json_object,json_schema,tools")
        List<String> features();

        /** The most choices one request may ask for. */
        @WithDefault("8")
        int maxN();

        /** Send {@code n} upstream; false runs n single-choice requests at once (llama-server refuses n > 1). */
        @WithDefault("false")
        boolean nativeN();

        /** Stream when tools are on; default false for llama-server (it refuses), true otherwise. */
        Optional<Boolean> streamTools();

        /** Time to open a connection. */
        @WithDefault("5s")
        Duration connectTimeout();

        /** Time from the request to the first streamed piece. */
        @WithDefault("60s")
        Duration firstTokenTimeout();

        /** Longest silence between two streamed pieces. */
        @WithDefault("30s")
        Duration idleTimeout();

        /** Time to a whole answer, when the request is not streamed (tools without stream-tools). */
        @WithDefault("5m")
        Duration answerTimeout();

        /** How often the upstream's health (and, where it has them, its metrics) are read. */
        @WithDefault("2s")
        Duration healthInterval();

        /** Health URL; default {@code /health} beside {@code /v1} (vllm, llama-server) or {@code {base-url}/models}. */
        Optional<String> healthUrl();

        /** Prometheus metrics URL; default {@code /metrics} beside {@code /v1} for vllm and llama-server. */
        Optional<String> metricsUrl();

        /**
         * PEM files of the certificates (a private CA's) that an {@code https} upstream's certificate chain must end in,
         * instead of the JVM's default trust store; the host name is checked either way.
         */
        Optional<List<String>> trustCertificates();
    }

    interface LlamaServer {
        /** The llama-server executable (env {@code SWITCHBOARD_LLAMA_SERVER}). Required for this engine. */
        Optional<String> path();

        /** Port on 127.0.0.1; default: a free port chosen at start. */
        Optional<Integer> port();

        /** More arguments, appended as given (e.g. {@code --threads,4}). */
        Optional<List<String>> extraArgs();

        /** Time the server has to become healthy at start and after each restart. */
        @WithDefault("120s")
        Duration startTimeout();

        /** After SIGTERM, how long to wait before killing it. */
        @WithDefault("5s")
        Duration stopGrace();

        /** First wait before a restart; doubles after each failed one. */
        @WithDefault("500ms")
        Duration restartBackoff();

        /** Longest wait between restarts. */
        @WithDefault("30s")
        Duration maxRestartBackoff();
    }
}
