package io.switchboard.worker.engine.openai;

import java.net.URI;
import java.time.Duration;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Engines for tests, on a fresh meter registry and a seeded tool-call id source. */
final class Upstreams {
    private Upstreams() {
    }

    static OpenAiSettings llamaServer(URI baseUrl) {
        return OpenAiSettings.of(baseUrl, "stories", Flavor.LLAMA_SERVER).withHealthInterval(Duration.ofMillis(200));
    }

    static OpenAiEngine engine(OpenAiSettings settings) {
        return new OpenAiEngine("openai", "stories", settings, new UpstreamMetrics(new SimpleMeterRegistry(), "openai"),
                ToolCallIds.from(new java.util.Random(7)), io.switchboard.worker.TestVertx.shared());
    }
}
