package io.switchboard.gateway;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Gateway settings ({@code switchboard.gateway.*}; env {@code SWITCHBOARD_GATEWAY_*}). */
@ConfigMapping(prefix = "switchboard.gateway")
public interface GatewayConfig {

    /** Accepted API keys, each written {@code tenant:key}; the key resolves to the tenant carried on the job. */
    List<String> apiKeys();

    /** Model ids always listed and accepted, even before a worker serving them has heartbeated. */
    Optional<List<String>> models();

    /** Largest request body accepted, in bytes; larger bodies get 413. */
    @WithDefault("1048576")
    int maxBodyBytes();

    /** How long a request may take end to end before it is cancelled and answered with an error. */
    @WithDefault("120s")
    Duration requestTimeout();

    /** How long publishing a job to Kafka may take before the request fails with 503. */
    @WithDefault("5s")
    Duration publishTimeout();

    /** Completion tokens generated when the request sets neither max_completion_tokens nor max_tokens. */
    @WithDefault("512")
    int defaultMaxTokens();

    /** Largest max_tokens / max_completion_tokens accepted. */
    @WithDefault("8192")
    int maxTokensLimit();

    /** Longest single XREAD BLOCK on a job stream; the request deadline still bounds the whole read. */
    @WithDefault("2s")
    Duration streamBlock();

    /** How long a model stays listed after the last heartbeat of a worker serving it. */
    @WithDefault("10s")
    Duration modelLiveness();

    /** Value of {@code system_fingerprint} in responses. */
    @WithDefault("switchboard-v1")
    String systemFingerprint();
}
