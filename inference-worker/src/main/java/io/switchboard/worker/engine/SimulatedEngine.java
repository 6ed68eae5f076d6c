package io.switchboard.worker.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.Feature;
import io.switchboard.schema.event.GenerationOptions;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.TokenLogprob;
import io.switchboard.schema.openai.ToolCall;
import io.switchboard.schema.wire.Json;

/**
 * A model-free engine for load tests of the platform: after {@code timeToFirstToken} it produces deterministic output at
 * {@code tokensPerSecond} per sequence, honouring max_tokens, stop sequences and cancellation, and every kind of event
 * a real engine produces, so the whole platform can be load-tested with them:
 * <ul>
 * <li>text: one "token" is one word of a fixed text;</li>
 * <li>{@code n} choices (concurrent sequences, {@link ChoiceFanOut});</li>
 * <li>logprobs: each token with a deterministic log probability and {@code top_logprobs} alternatives;</li>
 * <li>{@code response_format} JSON: the smallest document the schema accepts ({@link SchemaInstance}), a few characters
 * per token;</li>
 * <li>tools: with {@code tool_choice} {@code required} or a named function, or {@code auto} when the conversation ends
 * with a user message, a call of the named tool (else the first), with arguments built from its parameter schema, streamed as OpenAI does (id, type and name,
 * then argument fragments) and finished with {@code tool_calls}; after a {@code tool} message it answers in text;</li>
 * <li>reasoning: with {@code reasoning_effort}, a short reasoning piece before the answer.</li>
 * </ul>
 * Chosen explicitly ({@code switchboard.worker.engine=simulated}), never as a fallback.
 */
public final class SimulatedEngine implements InferenceEngine {
    static final String[] WORDS = ("Once upon a time there was a little switchboard that routed every request to a "
            + "worker with room and never lost a single token on the way home .").split(" ");
    /** Characters of a JSON answer (document or tool arguments) per simulated token. */
    static final int JSON_CHARS_PER_TOKEN = 4;

    static final EngineCapabilities CAPABILITIES = new EngineCapabilities(List.of(), 0, 8,
            Set.of(Feature.N, Feature.LOGPROBS, Feature.JSON_OBJECT, Feature.JSON_SCHEMA, Feature.TOOLS, Feature.REASONING),
            true);

    private final String modelId;
    private final long ttftNanos;
    private final DecodeSteps steps;

    public SimulatedEngine(String modelId, Duration timeToFirstToken, double tokensPerSecond) {
        this.modelId = modelId;
        this.ttftNanos = timeToFirstToken.toNanos();
        this.steps = new DecodeSteps("simulated-decode", (long) (1_000_000_000L / tokensPerSecond));
    }

    @Override
    public String kind() {
        return "simulated";
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public EngineCapabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Generation generate(InferenceJob job, EventSink sink, BooleanSupplier cancelled) {
        return ChoiceFanOut.run(job, sink, cancelled, this::generateOne);
    }

    private Generation generateOne(InferenceJob job, EventSink sink, BooleanSupplier cancelled) {
        int promptTokens = 0;
        for (PromptMessage m : job.messages()) {
            promptTokens += 4 + (m.content() == null ? 0 : m.content().split("\\s+").length);
        }
        Sequence seq = new Sequence(job, sink, cancelled);
        if (!seq.ended) {
            steps.run(seq, ttftNanos, cancelled);
        }
        return new Generation(seq.outcome == null ? "stop" : seq.outcome, promptTokens, seq.tokens, seq.outcome == null);
    }

    /** The function to call, or null to answer in text. */
    static JsonNode toolToCall(InferenceJob job) {
        GenerationOptions o = job.options();
        if (!o.toolsEnabled()) {
            return null;
        }
        if (!o.toolCallForced() && !job.messages().isEmpty() && !"user".equals(job.messages().getLast().role())) {
            return null; // auto, after a tool's answer: reply in text
        }
        String name = o.namedTool();
        if (name != null) {
            for (JsonNode t : o.tools()) {
                if (name.equals(t.path("function").path("name").asText())) {
                    return t.path("function");
                }
            }
        }
        return o.tools().get(0).path("function");
    }

    private static String document(GenerationOptions o) {
        if ("json_schema".equals(o.responseFormatType())) {
            return Json.write(SchemaInstance.of(o.responseFormat().path("json_schema").path("schema")));
        }
        return "{\"story\": \"Once upon a time\"}";
    }

    /**
     * One sequence being generated, one token per {@link #step()} (the engine's {@link DecodeSteps} paces them): an
     * optional reasoning piece, then a tool call, a JSON document or text; counts its tokens and ends on max_tokens, a
     * stop sequence or cancellation ({@link #outcome} null).
     */
    private final class Sequence implements DecodeSteps.Stepped {
        final InferenceJob job;
        final EventSink sink;
        final BooleanSupplier cancelled;
        final int max;
        final boolean logprobs;
        final int top;
        final List<String> stops;
        /** The reasoning piece still to come first, or null. */
        TokenEvent.Delta reasoning;
        /** A tool call's or a JSON document's pieces, in order (null for text), and what ends them. */
        final List<TokenEvent.Delta> pieces;
        final String piecesEnd;
        int next;
        /** Text so far, kept only to look for stop sequences. */
        final StringBuilder text = new StringBuilder();
        int tokens;
        boolean ended;
        /** How it ended: a finish reason, or null when cancelled. */
        String outcome;

        Sequence(InferenceJob job, EventSink sink, BooleanSupplier cancelled) {
            this.job = job;
            this.sink = sink;
            this.cancelled = cancelled;
            this.max = job.sampling().maxTokens();
            this.logprobs = job.options().logprobs();
            this.top = job.options().topLogprobs() == null ? 0 : job.options().topLogprobs();
            this.stops = job.sampling().stop();
            GenerationOptions o = job.options();
            if (o.extensionsOrEmpty().containsKey("reasoning_effort")) {
                reasoning = TokenEvent.Delta.reasoning(0, "The user wants a story; a short one will do.");
            }
            JsonNode tool = toolToCall(job);
            if (tool != null) {
                pieces = toolCall(tool);
                piecesEnd = "tool_calls";
            } else if (!"text".equals(o.responseFormatType())) {
                pieces = json(document(o));
                piecesEnd = "stop";
            } else {
                pieces = null;
                piecesEnd = null;
            }
            if (reasoning == null) {
                endIfOutOfTokens();
            }
        }

        @Override
        public boolean step() {
            if (cancelled.getAsBoolean()) {
                end(null);
                return false;
            }
            tokens++;
            if (reasoning != null) {
                sink.delta(reasoning);
                reasoning = null;
            } else if (pieces != null) {
                sink.delta(pieces.get(next++));
            } else if (!textStep()) {
                return false;
            }
            return !endIfOutOfTokens();
        }

        /** The next word of the text; false when a stop sequence ended it. */
        private boolean textStep() {
            int i = next++;
            String token = (i == 0 ? "" : " ") + WORDS[i % WORDS.length];
            if (!stops.isEmpty()) {
                int emitted = text.length();
                text.append(token);
                int cut = firstStop(text, stops, emitted);
                if (cut >= 0) {
                    if (cut > emitted) {
                        sink.delta(piece(text.substring(emitted, cut), i));
                    }
                    end("stop");
                    return false;
                }
            }
            sink.delta(piece(token, i));
            return true;
        }

        /**
         * Ends the sequence if nothing more is to come: the pieces all written, the text at max_tokens, or a tool
         * call or document cut by max_tokens ({@code length}, as its next piece would be one token too many).
         */
        private boolean endIfOutOfTokens() {
            if (ended || reasoning != null) {
                return ended;
            }
            if (pieces == null) {
                return next >= max && end("length");
            }
            if (next >= pieces.size()) {
                return end(piecesEnd);
            }
            // a tool call's opening piece is always written; what follows it stops at max_tokens
            boolean opening = piecesEnd.equals("tool_calls") && next == 0;
            return !opening && tokens >= max && end("length");
        }

        private boolean end(String how) {
            ended = true;
            outcome = how;
            return true;
        }

        /** A JSON document, a few characters per token. */
        private List<TokenEvent.Delta> json(String document) {
            List<TokenEvent.Delta> out = new ArrayList<>();
            for (int at = 0, i = 0; at < document.length(); at += JSON_CHARS_PER_TOKEN, i++) {
                out.add(piece(document.substring(at, Math.min(document.length(), at + JSON_CHARS_PER_TOKEN)), i));
            }
            return out;
        }

        /** One call of {@code function}: id, type and name first, then the arguments in fragments. */
        private List<TokenEvent.Delta> toolCall(JsonNode function) {
            String id = "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
            List<TokenEvent.Delta> out = new ArrayList<>();
            out.add(TokenEvent.Delta.toolCalls(0, List.of(ToolCall.Chunk.start(0, id, function.path("name").asText()))));
            String arguments = Json.write(SchemaInstance.of(function.path("parameters")));
            for (int at = 0; at < arguments.length(); at += JSON_CHARS_PER_TOKEN) {
                String fragment = arguments.substring(at, Math.min(arguments.length(), at + JSON_CHARS_PER_TOKEN));
                out.add(TokenEvent.Delta.toolCalls(0, List.of(ToolCall.Chunk.arguments(0, fragment))));
            }
            return out;
        }

        private TokenEvent.Delta piece(String text, int position) {
            if (!logprobs) {
                return TokenEvent.Delta.of(0, text);
            }
            return TokenEvent.Delta.of(0, text, List.of(logprob(text, position, top)));
        }
    }

    /** A deterministic log probability for the token at {@code position}, with {@code top} alternatives, best first. */
    static TokenLogprob logprob(String token, int position, int top) {
        double lp = -0.05 - 0.1 * (position % 7);
        List<TokenLogprob.Top> alternatives = new ArrayList<>(top);
        for (int k = 0; k < top; k++) {
            String alt = k == 0 ? token : " " + WORDS[(position + k) % WORDS.length];
            alternatives.add(new TokenLogprob.Top(alt, k == 0 ? lp : lp - k, TokenLogprob.utf8(alt)));
        }
        return new TokenLogprob(token, lp, TokenLogprob.utf8(token), alternatives);
    }

    /** Where the first stop sequence begins in {@code text}, looking only where one could end past {@code from}. */
    private static int firstStop(StringBuilder text, List<String> stops, int from) {
        int cut = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop, stop.isEmpty() ? 0 : Math.max(0, from - stop.length() + 1));
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        return cut;
    }

    @Override
    public void close() {
        steps.close();
    }
}
