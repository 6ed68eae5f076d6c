package io.switchboard.gateway;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Gateway settings ({@code switchboard.gateway.*}; env {@code SWITCHBOARD_GATEWAY_*}). */
@ConfigMapping(prefix = "switchboard.gateway")
public interface GatewayConfig {

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

    /**
     * How many Redis connections wait on the job streams of every open answer (each a multiplexed XREAD over the
     * streams of its shard), however many answers are open. Each read covers its shard's streams, so more shards
     * mean smaller reads when thousands of answers are open.
     */
    @WithDefault("8")
    int streamReaders();

    /** How long a model stays listed after the last heartbeat of a worker serving it. */
    @WithDefault("10s")
    Duration modelLiveness();

    /** How many times a failed read of a job's Redis stream is tried again (with backoff) before the request ends with an error. */
    @WithDefault("3")
    int streamReadRetries();

    /** The wait before the first retry of a failed stream read; it doubles on each further retry (at most 1s). */
    @WithDefault("100ms")
    Duration streamReadBackoff();

    /**
     * How long a client's write queue may stay full (the client stopped reading) before its stream ends with an
     * in-band error; the job is not cancelled, so the client can resume.
     */
    @WithDefault("30s")
    Duration slowClientTimeout();

    /**
     * On shutdown (SIGTERM), how long running streams may go on before what is left ends with an in-band error
     * ({@code shutting_down}; resumable on another replica). New requests get 503 meanwhile.
     */
    @WithDefault("30s")
    Duration drainGrace();

    /** Value of {@code system_fingerprint} in responses. */
    @WithDefault("switchboard-v1")
    String systemFingerprint();

    /** Tenants, keys and the admin API. */
    Tenancy tenancy();

    /** Resumable streams ({@code GET /v1/chat/completions/{id}/stream}) and the reader key that keeps a job alive. */
    Resume resume();

    interface Resume {
        /** How long after its deadline a job's stream may still be resumed (the job's meta hash lives that long). */
        @WithDefault("5m")
        Duration retention();

        /**
         * How long a job may go without a gateway relaying its stream (its reader key lapses) before a worker cancels
         * it: the time a client whose connection broke has to resume. The key is refreshed every grace/3.
         */
        @WithDefault("10s")
        Duration grace();
    }

    interface Tenancy {
        /**
         * The declarative tenants file (YAML; env {@code SWITCHBOARD_TENANTS_FILE}), read at start and whenever it
         * changes; its tenants can only be changed there. Unset: tenants come from the admin API alone.
         */
        Optional<Path> file();

        /** How often the tenants file is checked for a change. */
        @WithDefault("1s")
        Duration fileCheckInterval();

        /**
         * How often the gateway checks Redis for a tenant or key change while it receives no change notices (their
         * Redis connection is down): a revocation made meanwhile takes effect within this.
         */
        @WithDefault("250ms")
        Duration refreshInterval();

        /**
         * How often it checks while it receives change notices (a change takes effect as its notice arrives): a
         * backstop for a notice lost on a connection that still looks open.
         */
        @WithDefault("5s")
        Duration listeningRefreshInterval();

        /** The admin API's bearer key (env {@code SWITCHBOARD_ADMIN_KEY}); unset, the admin API answers 401 to everyone. */
        Optional<String> adminKey();

        /** A request's {@code priority} is clamped to [-range, range]; it only orders requests within the tenant's band. */
        @WithDefault("100")
        int priorityRange();

        /** How long the admission counters of a finished job wait for its usage record before they lapse on their own. */
        @WithDefault("1h")
        Duration reservationTtl();

        /** How long per-day usage views are kept. */
        @WithDefault("400d")
        Duration usageRetention();
    }
}
