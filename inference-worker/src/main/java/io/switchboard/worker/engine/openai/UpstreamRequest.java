package io.switchboard.worker.engine.openai;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.switchboard.schema.event.GenerationOptions;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.schema.wire.Json;
import io.switchboard.worker.engine.GrammarSchemaCheck;
import io.switchboard.worker.engine.SchemaRefs;

/**
 * The chat-completion request body a job becomes upstream: the conversation, the sampling parameters each flavor
 * understands, logprobs, the response format, tools and the pass-through extensions (a schema a llama-server could not
 * convert without ending its process refused first). A pure function of the job and
 * the settings.
 * <p>
 * llama-server aborts (its grammar stack runs empty) when asked to ignore the end of sequence while its output is
 * constrained (a JSON format or tools), so {@code ignore_eos} is not sent to it then.
 */
final class UpstreamRequest {
    private UpstreamRequest() {
    }

    /** The body for {@code job}; {@code stream} asks for SSE with a usage chunk. */
    static ObjectNode body(InferenceJob job, OpenAiSettings settings, boolean stream) {
        Flavor flavor = settings.flavor();
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", settings.upstreamModel());
        ArrayNode messages = body.putArray("messages");
        job.messages().forEach(m -> messages.add(message(m)));
        GenerationOptions o = job.options();
        sampling(body, job.sampling(), flavor, flavor == Flavor.LLAMA_SERVER && constrained(o));
        if (o.n() > 1) {
            body.put("n", o.n());
        }
        if (o.logprobs()) {
            body.put("logprobs", true);
            if (o.topLogprobs() != null) {
                body.put("top_logprobs", o.topLogprobs());
            }
        }
        responseFormat(body, o.responseFormat(), flavor);
        if (o.tools() != null) {
            body.set("tools", flavor == Flavor.LLAMA_SERVER ? llamaTools(o.tools()) : o.tools());
        }
        if (o.toolChoice() != null) {
            body.set("tool_choice", o.toolChoice());
        }
        if (o.parallelToolCalls() != null) {
            body.put("parallel_tool_calls", o.parallelToolCalls());
        }
        for (Map.Entry<String, JsonNode> e : o.extensionsOrEmpty().entrySet()) {
            body.set(e.getKey(), e.getValue());
        }
        body.put("stream", stream);
        if (stream) {
            body.putObject("stream_options").put("include_usage", true);
        }
        return body;
    }

    /**
     * The tools with each function's parameters as llama-server reads them right ({@link #forLlamaServer}).
     */
    private static JsonNode llamaTools(JsonNode tools) {
        if (!tools.isArray()) {
            return tools;
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (JsonNode tool : tools) {
            JsonNode parameters = tool.path("function").path("parameters");
            if (parameters.isObject()) {
                ObjectNode copy = tool.deepCopy();
                // one converter reads every tool: each tool's definitions get names of their own
                JsonNode sent = forLlamaServer(parameters, "tool" + out.size() + "ref");
                ((ObjectNode) copy.get("function")).set("parameters", sent);
                out.add(copy);
            } else {
                out.add(tool);
            }
        }
        return out;
    }

    static ObjectNode message(PromptMessage m) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("role", m.role());
        if (m.toolCalls() != null && (m.content() == null || m.content().isEmpty())) {
            out.putNull("content");
        } else {
            out.put("content", m.content() == null ? "" : m.content());
        }
        if (m.name() != null) {
            out.put("name", m.name());
        }
        if (m.toolCalls() != null) {
            out.set("tool_calls", Json.MAPPER.valueToTree(m.toolCalls()));
        }
        if (m.toolCallId() != null) {
            out.put("tool_call_id", m.toolCallId());
        }
        return out;
    }

    private static boolean constrained(GenerationOptions o) {
        return !"text".equals(o.responseFormatType()) || o.toolsEnabled();
    }

    private static void sampling(ObjectNode body, SamplingParams s, Flavor flavor, boolean keepEos) {
        // llama-server counts only max_tokens; OpenAI's newer models take only max_completion_tokens
        body.put(flavor == Flavor.OPENAI ? "max_completion_tokens" : "max_tokens", s.maxTokens());
        body.put("temperature", s.temperature());
        body.put("top_p", s.topP());
        if (s.seed() != null) {
            body.put("seed", s.seed());
        }
        if (!s.stop().isEmpty()) {
            ArrayNode stop = body.putArray("stop");
            s.stop().forEach(stop::add);
        }
        if (s.presencePenalty() != 0) {
            body.put("presence_penalty", s.presencePenalty());
        }
        if (s.frequencyPenalty() != 0) {
            body.put("frequency_penalty", s.frequencyPenalty());
        }
        if (flavor == Flavor.OPENAI) {
            return; // OpenAI refuses parameters it does not know
        }
        if (s.topK() != null) {
            body.put("top_k", s.topK());
        }
        if (s.minP() != null) {
            body.put("min_p", s.minP());
        }
        if (s.ignoreEos() && !keepEos) {
            body.put("ignore_eos", true);
        }
    }

    private static void responseFormat(ObjectNode body, JsonNode format, Flavor flavor) {
        if (format == null) {
            return;
        }
        if (flavor == Flavor.LLAMA_SERVER && "json_schema".equals(format.path("type").asText())) {
            // this llama-server ignores OpenAI's form and constrains output to a top-level json_schema instead
            JsonNode schema = format.path("json_schema").path("schema");
            body.set("json_schema", schema.isMissingNode() ? Json.MAPPER.createObjectNode() : forLlamaServer(schema, "ref"));
            return;
        }
        if (flavor == Flavor.LLAMA_SERVER && format.path("schema").isObject()) {
            // llama-server also reads a schema beside json_object
            ObjectNode copy = format.deepCopy();
            copy.set("schema", forLlamaServer(format.get("schema"), "ref"));
            body.set("response_format", copy);
            return;
        }
        body.set("response_format", format);
    }

    /**
     * A schema as llama-server's converter reads it right ({@link SchemaRefs}), refused when it would end the
     * llama-server process ({@link GrammarSchemaCheck}, on what is sent).
     */
    private static JsonNode forLlamaServer(JsonNode schema, String prefix) {
        JsonNode sent = SchemaRefs.uniqueRuleNames(schema, prefix);
        GrammarSchemaCheck.check(sent);
        return sent;
    }
}
