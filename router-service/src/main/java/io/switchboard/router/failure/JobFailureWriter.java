package io.switchboard.router.failure;

import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.stream.XAddArgs;
import io.switchboard.router.RouterConfig;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;

/** Ends a job the router gives up on by writing a {@link TokenEvent.Failure} to its stream, which the gateway relays. */
@ApplicationScoped
public class JobFailureWriter {
    private static final Logger LOG = Logger.getLogger(JobFailureWriter.class);

    @Inject
    ReactiveRedisDataSource redis;
    @Inject
    RouterConfig config;

    /** {@code retryAfterMs}, when not null, tells the client when trying again may succeed. */
    public void fail(String jobId, FailureCode code, String message, Long retryAfterMs) {
        String key = RedisKeys.jobStream(jobId);
        String event = Json.write(TokenEvent.Failure.of(code, message, retryAfterMs));
        redis.stream(String.class, String.class, String.class)
                .xadd(key, new XAddArgs().maxlen(1000L).nearlyExactTrimming(), Map.of(RedisKeys.EVENT_FIELD, event))
                .chain(() -> redis.key(String.class).expire(key, config.failedStreamTtl()))
                .subscribe().with(ok -> {
                }, t -> LOG.warnf("failure of job %s not written: %s", jobId, t.getMessage()));
    }
}
