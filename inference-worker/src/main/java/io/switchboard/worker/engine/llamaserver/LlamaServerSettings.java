package io.switchboard.worker.engine.llamaserver;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How the worker runs its llama-server child.
 *
 * @param binary            the llama-server executable
 * @param model             the GGUF model file
 * @param slots             parallel sequences ({@code -np})
 * @param ctxPerSlot        context per sequence ({@code -c} is slots × this)
 * @param threads           CPU threads ({@code -t}), null for llama.cpp's default
 * @param gpuLayers         layers offloaded ({@code -ngl}), 0 for none
 * @param port              port on 127.0.0.1
 * @param extraArgs         appended as given
 * @param startTimeout      time to become healthy
 * @param stopGrace         after SIGTERM, time before the kill
 * @param restartBackoff    first wait before a restart (doubles after each failed one)
 * @param maxRestartBackoff longest wait between restarts
 */
public record LlamaServerSettings(Path binary, Path model, int slots, int ctxPerSlot, Integer threads, int gpuLayers,
        int port, List<String> extraArgs, Duration startTimeout, Duration stopGrace, Duration restartBackoff,
        Duration maxRestartBackoff) {

    public LlamaServerSettings {
        extraArgs = extraArgs == null ? List.of() : List.copyOf(extraArgs);
    }

    /** The command line: the model, slots and context, loopback only, Jinja templates (tools) and metrics. */
    public List<String> command() {
        List<String> c = new ArrayList<>(List.of(binary.toString(), "-m", model.toString(), "-np", String.valueOf(slots),
                "-c", String.valueOf(slots * ctxPerSlot), "--host", "127.0.0.1", "--port", String.valueOf(port), "--jinja",
                "--metrics"));
        if (threads != null) {
            c.addAll(List.of("-t", String.valueOf(threads)));
        }
        if (gpuLayers > 0) {
            c.addAll(List.of("-ngl", String.valueOf(gpuLayers)));
        }
        c.addAll(extraArgs);
        return c;
    }
}
