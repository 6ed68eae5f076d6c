package io.switchboard.worker.engine.llamaserver;

import java.util.OptionalLong;
import java.util.function.BooleanSupplier;

import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.worker.engine.InferenceEngine;
import io.switchboard.worker.engine.openai.OpenAiEngine;

/**
 * llama.cpp's own server as the worker's child process, driven through the {@code openai} engine with the
 * llama-server flavour (n by fan-out, tools answered whole). Available while the child runs and answers its health
 * check; when it dies, running jobs end with {@code engine_unavailable} (their connections drop), the worker takes no
 * job, and the child is restarted.
 */
public final class LlamaServerEngine implements InferenceEngine {
    private final LlamaServerSupervisor supervisor;
    private final OpenAiEngine client;

    LlamaServerEngine(LlamaServerSupervisor supervisor, OpenAiEngine client) {
        this.supervisor = supervisor;
        this.client = client;
    }

    @Override
    public String kind() {
        return "llama-server";
    }

    @Override
    public String modelId() {
        return client.modelId();
    }

    @Override
    public EngineCapabilities capabilities() {
        EngineCapabilities c = client.capabilities();
        return c.withAvailable(c.available() && supervisor.running());
    }

    @Override
    public Generation generate(InferenceJob job, EventSink sink, BooleanSupplier cancelled) {
        return client.generate(job, sink, cancelled);
    }

    /** The child's process id while it runs. */
    public OptionalLong pid() {
        return supervisor.pid();
    }

    @Override
    public void close() {
        client.close();
        supervisor.close();
    }
}
