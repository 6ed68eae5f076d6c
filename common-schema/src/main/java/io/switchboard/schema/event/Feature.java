package io.switchboard.schema.event;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * What an engine can do beyond plain text, announced in its worker's heartbeat; the gateway refuses a request that
 * needs a feature no live worker of the model has (a 400 naming the parameter), before the job is published.
 */
public enum Feature {
    /** {@code n > 1}: several choices per request. */
    N("n", "n"),
    /** {@code logprobs} and {@code top_logprobs}. */
    LOGPROBS("logprobs", "logprobs"),
    /** {@code response_format: {"type": "json_object"}}, constrained so the output parses. */
    JSON_OBJECT("json_object", "response_format"),
    /** {@code response_format: {"type": "json_schema"}}, constrained to the schema. */
    JSON_SCHEMA("json_schema", "response_format"),
    /** {@code tools} and {@code tool_choice}: calls in the answer, {@code tool} messages in the conversation. */
    TOOLS("tools", "tools"),
    /** {@code structured_outputs} (regex, choice, grammar, json). */
    STRUCTURED_OUTPUTS("structured_outputs", "structured_outputs"),
    /** {@code logit_bias}. */
    LOGIT_BIAS("logit_bias", "logit_bias"),
    /** {@code min_tokens}. */
    MIN_TOKENS("min_tokens", "min_tokens"),
    /** {@code bad_words}. */
    BAD_WORDS("bad_words", "bad_words"),
    /** {@code chat_template_kwargs}, {@code continue_final_message}, {@code add_generation_prompt}. */
    CHAT_TEMPLATE("chat_template", "chat_template_kwargs"),
    /** {@code return_token_ids}. */
    TOKEN_IDS("return_token_ids", "return_token_ids"),
    /** {@code truncate_prompt_tokens}. */
    TRUNCATE_PROMPT("truncate_prompt_tokens", "truncate_prompt_tokens"),
    /** {@code cache_salt}. */
    CACHE_SALT("cache_salt", "cache_salt"),
    /** {@code reasoning_effort}, reasoning deltas. */
    REASONING("reasoning", "reasoning_effort");

    private final String wire;
    private final String parameter;

    Feature(String wire, String parameter) {
        this.wire = wire;
        this.parameter = parameter;
    }

    @JsonValue
    public String wire() {
        return wire;
    }

    /** The request parameter that needs it, for the 400 that names it. */
    public String parameter() {
        return parameter;
    }

    @com.fasterxml.jackson.annotation.JsonCreator
    public static Feature fromWire(String wire) {
        for (Feature f : values()) {
            if (f.wire.equals(wire)) {
                return f;
            }
        }
        return null; // a feature a newer worker announces that this reader does not know: ignored
    }
}
