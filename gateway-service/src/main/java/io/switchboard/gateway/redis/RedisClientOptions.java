package io.switchboard.gateway.redis;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.redis.client.RedisOptionsCustomizer;
import io.quarkus.redis.runtime.client.config.RedisConfig;
import io.vertx.redis.client.RedisOptions;

/**
 * The options Quarkus built for its default Redis client (every {@code quarkus.redis.*} setting: hosts, credentials,
 * TLS), kept when Quarkus makes that client, so that a client of one's own
 * ({@link io.switchboard.gateway.stream.ReaderLeases}) reaches the same Redis the same way.
 * Switchboard uses one standalone Redis (or a replicated one behind one address); a cluster is not supported.
 */
@ApplicationScoped
public class RedisClientOptions implements RedisOptionsCustomizer {
    private volatile RedisOptions defaults;

    @Override
    public void customize(String clientName, RedisOptions options) {
        if (RedisConfig.DEFAULT_CLIENT_NAME.equals(clientName)) {
            defaults = new RedisOptions(options);
        }
    }

    /** A copy of the default client's options, to change at will; Quarkus has made that client by the time it is asked. */
    public RedisOptions copy() {
        RedisOptions d = defaults;
        if (d == null) {
            throw new IllegalStateException("the default Redis client has not been configured yet");
        }
        return new RedisOptions(d);
    }
}
