package io.switchboard.worker.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.Feature;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.schema.wire.Json;
import io.switchboard.worker.engine.openai.ToolCallIds;

/**
 * llama.cpp in-process through its Java binding ({@code de.kherud:llama}): one model, {@code slots}
 * parallel sequences batched by llama.cpp's continuous batching. Applies the model's own chat
 * template (llama.cpp falls back to ChatML when the GGUF has none), and counts tokens with the model's
 * tokenizer. {@code n} choices run as concurrent sequences ({@link ChoiceFanOut}); JSON answers ({@code response_format}
 * {@code json_object} / {@code json_schema}, {@code structured_outputs}) are constrained by a GBNF grammar
 * ({@link Grammars}), so they parse even on a tiny model. {@code tools} use llama.cpp's generic JSON format
 * ({@link GenericToolFormat}): the answer is constrained to a call of the given tools or a reply, read whole, and handed
 * on as tool calls or text; {@code logit_bias} goes to llama.cpp's sampler. The binding gives no log probabilities of the sampled token,
 * so {@code logprobs} is not announced (the gateway refuses it with a 400 naming the parameter).
 */
public final class LlamaEngine implements InferenceEngine {
    private static final Logger LOG = Logger.getLogger(LlamaEngine.class);

    private final LlamaModel model;
    private final String modelId;
    private final int ctxPerSlot;
    private final EngineCapabilities capabilities;
    private final Supplier<String> toolCallIds = ToolCallIds.random();

    public LlamaEngine(Path gguf, String modelId, int slots, int ctxPerSlot, Integer threads, int gpuLayers,
            boolean nativeLog) {
        if (!Files.isRegularFile(gguf)) {
            throw new IllegalArgumentException("model file not found: " + gguf);
        }
        ModelParameters params = new ModelParameters()
                .setModel(gguf.toString())
                .setParallel(slots)
                .setCtxSize(slots * ctxPerSlot)
                .enableContBatching();
        if (threads != null) {
            params.setThreads(threads);
        }
        if (gpuLayers > 0) {
            params.setGpuLayers(gpuLayers);
        }
        if (!nativeLog) {
            params.disableLog();
        }
        long t0 = System.nanoTime();
        this.model = new LlamaModel(params);
        Grammars.ready(); // a binding the schema path does not fit fails the start, not a request
        this.modelId = modelId;
        this.ctxPerSlot = ctxPerSlot;
        this.capabilities = new EngineCapabilities(List.of(), ctxPerSlot, 8,
                Set.of(Feature.N, Feature.JSON_OBJECT, Feature.JSON_SCHEMA, Feature.STRUCTURED_OUTPUTS, Feature.TOOLS,
                        Feature.LOGIT_BIAS), true);
        LOG.infof("loaded %s as '%s' with %d slots of %d tokens in %d ms", gguf.getFileName(), modelId, slots, ctxPerSlot,
                (System.nanoTime() - t0) / 1_000_000);
    }

    @Override
    public String kind() {
        return "llama";
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public EngineCapabilities capabilities() {
        return capabilities;
    }

    @Override
    public Generation generate(InferenceJob job, EventSink sink, BooleanSupplier cancelled) {
        Prompt prompt = prompt(job); // the same for every choice: read and counted once
        return ChoiceFanOut.run(job, sink, cancelled, (choice, s, c) -> generateOne(prompt, choice, s, c));
    }

    /** What every choice of a job shares: its tool format (or none), prompt, prompt tokens, constraint and biases. */
    private record Prompt(GenericToolFormat tools, String text, int tokens, Grammars constraint, Map<Integer, Float> bias) {
    }

    private Prompt prompt(InferenceJob job) {
        GenericToolFormat tools = GenericToolFormat.of(job.options());
        List<PromptMessage> messages = tools == null ? GenericToolFormat.history(job.messages()) : tools.prompt(job.messages());
        String prompt;
        try {
            prompt = model.applyTemplate(templateRequest(messages));
        } catch (RuntimeException e) {
            throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST,
                    "The conversation does not fit the model's chat template: " + e.getMessage(), e);
        }
        int promptTokens = model.encode(prompt).length;
        if (promptTokens >= ctxPerSlot) {
            throw new EngineException(FailureCode.CONTEXT_LENGTH_EXCEEDED, "This model's maximum context length is "
                    + ctxPerSlot + " tokens, but the messages use " + promptTokens + " tokens.", null);
        }
        Grammars constraint = tools == null ? Grammars.of(job.options()) : Grammars.schema(tools.schema());
        return new Prompt(tools, prompt, promptTokens, constraint,
                logitBias(job.options().extensionsOrEmpty().get("logit_bias")));
    }

    private Generation generateOne(Prompt prompt, InferenceJob job, EventSink sink, BooleanSupplier cancelled) {
        GenericToolFormat tools = prompt.tools();
        int promptTokens = prompt.tokens();
        int maxTokens = Math.min(job.sampling().maxTokens(), ctxPerSlot - promptTokens);
        // with tools the answer is one JSON object: stop sequences apply to the reply read from it, not to the JSON
        InferenceParameters params = parameters(prompt.text(), job.sampling(), maxTokens, tools == null);
        if (!prompt.bias().isEmpty()) {
            params.setTokenIdBias(prompt.bias());
        }
        Grammars constraint = prompt.constraint();
        // an answer that may call tools is read whole (it is one JSON object), then handed on as calls or text
        StringBuilder answer = tools == null ? null : new StringBuilder();
        if (constraint != null) {
            constraint.applyTo(params);
        }
        int completionTokens = 0;
        LlamaIterator it;
        try {
            it = model.generate(params).iterator();
        } catch (RuntimeException e) { // llama.cpp refused the request (a JSON schema it cannot convert)
            throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST, "llama.cpp refused the request: "
                    + refusal(e.getMessage()), e, promptTokens, 0);
        }
        try {
            while (it.hasNext()) {
                if (cancelled.getAsBoolean()) {
                    it.cancel();
                    return new Generation("stop", promptTokens, completionTokens, true);
                }
                LlamaOutput out = it.next();
                // every output but the final one (which only marks the end) is one sampled token
                if (it.hasNext()) {
                    completionTokens++;
                    if (answer != null) {
                        sink.progress(1);
                    }
                }
                if (out.text.isEmpty()) {
                    continue;
                }
                if (answer != null) {
                    answer.append(out.text);
                } else {
                    sink.text(out.text);
                }
            }
        } catch (RuntimeException e) {
            it.cancel();
            throw new EngineException(FailureCode.INFERENCE_FAILED, "llama.cpp failed: " + e.getMessage(), e, promptTokens,
                    completionTokens);
        }
        String finish = FinishReasons.of(completionTokens, maxTokens);
        if (answer != null) {
            GenericToolFormat.Answer read = GenericToolFormat.read(answer.toString());
            GenericToolFormat.Answer cut = read.cutAt(job.sampling().stop());
            GenericToolFormat.emit(cut, sink, toolCallIds);
            if (cut != read) {
                finish = "stop"; // the reply ended at a stop sequence
            } else if (read.calling() && read.whole()) {
                finish = "tool_calls";
            }
        }
        return new Generation(finish, promptTokens, completionTokens, false);
    }

    /** The message of llama.cpp's error answer ({@code {"code":..,"message":..}}), or the text as it is. */
    static String refusal(String error) {
        try {
            JsonNode e = Json.MAPPER.readTree(error);
            return e.path("message").asText(error);
        } catch (java.io.IOException | RuntimeException notJson) {
            return String.valueOf(error);
        }
    }

    /** The chat template's input: the messages as the model's template takes them (tool use already written as text). */
    static String templateRequest(List<PromptMessage> messages) {
        List<Map<String, String>> list = messages.stream()
                .map(m -> Map.of("role", m.role(), "content", m.content() == null ? "" : m.content()))
                .toList();
        return Json.write(Map.of("messages", list));
    }

    /**
     * OpenAI's {@code logit_bias} (token id to a bias from -100 to 100, validated by the gateway), added to the token's
     * logit before sampling as OpenAI does; llama.cpp leaves out ids beyond the model's vocabulary.
     */
    static Map<Integer, Float> logitBias(JsonNode bias) {
        if (bias == null || !bias.isObject()) {
            return Map.of();
        }
        Map<Integer, Float> out = new java.util.HashMap<>();
        for (Map.Entry<String, JsonNode> e : bias.properties()) {
            try {
                out.put(Integer.valueOf(e.getKey()), (float) e.getValue().asDouble());
            } catch (NumberFormatException tooLarge) {
                throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST,
                        "Invalid 'logit_bias': '" + e.getKey() + "' is not a token id of this model.", null);
            }
        }
        return out;
    }

    static InferenceParameters parameters(String prompt, SamplingParams s, int maxTokens, boolean withStop) {
        InferenceParameters p = new InferenceParameters(prompt)
                .setNPredict(maxTokens)
                .setTemperature((float) s.temperature())
                .setTopP((float) s.topP())
                // OpenAI semantics: no top-k, no min-p and no repeat penalty unless asked for
                .setTopK(s.topK() == null ? 0 : s.topK())
                .setMinP(s.minP() == null ? 0f : s.minP().floatValue())
                .setRepeatPenalty(1.0f)
                .setPresencePenalty((float) s.presencePenalty())
                .setFrequencyPenalty((float) s.frequencyPenalty())
                .setCachePrompt(true)
                .setIgnoreEos(s.ignoreEos());
        if (s.seed() != null) {
            p.setSeed((int) (s.seed() ^ (s.seed() >>> 32)));
        }
        if (withStop && !s.stop().isEmpty()) {
            p.setStopStrings(s.stop().toArray(String[]::new));
        }
        return p;
    }

    @Override
    public void close() {
        model.close();
    }
}
