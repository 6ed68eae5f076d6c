package io.switchboard.worker;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Worker settings ({@code switchboard.worker.*}; env {@code SWITCHBOARD_WORKER_*}). */
@ConfigMapping(prefix = "switchboard.worker")
public interface WorkerConfig {

    /** Unique id of this worker process; default: a random id (a restarted worker is a new worker). */
    Optional<String> id();

    /** The engine: {@code llama} (llama.cpp in-process) or {@code simulated} (no model, for load tests). Required. */
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

    /** How often the worker heartbeats its capacity. */
    @WithDefault("1s")
    Duration heartbeatInterval();

    /** On shutdown, how long to wait for the stopped sequences to write their last event before the model closes. */
    @WithDefault("10s")
    Duration drainTimeout();

    /** Entries a job stream keeps at most (approximate trimming). */
    @WithDefault("10000")
    long streamMaxLen();

    /** How long a job stream is kept after its terminal event: a client may resume it meanwhile. */
    @WithDefault("5m")
    Duration streamTtlAfterEnd();

    /** llama.cpp engine settings. */
    Llama llama();

    /** Simulated engine settings. */
    Simulated simulated();

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
}
