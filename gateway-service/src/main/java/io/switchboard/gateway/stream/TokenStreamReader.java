package io.switchboard.gateway.stream;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.stream.ReactiveStreamCommands;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.XReadArgs;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.switchboard.gateway.GatewayConfig;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;

/**
 * Reads one job's token events from its Redis stream, in order, from the first entry, with XREAD
 * BLOCK, until the terminal event. Fails with {@link TimeoutException} at the job's deadline, and
 * stops reading when the subscriber cancels.
 */
@ApplicationScoped
public class TokenStreamReader {
    private final ReactiveStreamCommands<String, String, String> streams;
    private final Duration block;

    @Inject
    public TokenStreamReader(ReactiveRedisDataSource redis, GatewayConfig config) {
        this.streams = redis.stream(String.class, String.class, String.class);
        this.block = config.streamBlock();
    }

    public Multi<TokenEvent> read(String jobId, long deadlineMs) {
        String key = RedisKeys.jobStream(jobId);
        return Multi.createFrom().emitter(emitter -> {
            AtomicBoolean stopped = new AtomicBoolean();
            emitter.onTermination(() -> stopped.set(true));
            poll(key, "0-0", deadlineMs, emitter, stopped);
        });
    }

    private void poll(String key, String after, long deadlineMs, MultiEmitter<? super TokenEvent> emitter,
            AtomicBoolean stopped) {
        if (stopped.get()) {
            return;
        }
        long remaining = deadlineMs - System.currentTimeMillis();
        if (remaining <= 0) {
            emitter.fail(new TimeoutException("job stream " + key + " not finished by its deadline"));
            return;
        }
        long blockMs = Math.max(1, Math.min(remaining, block.toMillis()));
        streams.xread(key, after, new XReadArgs().block(Duration.ofMillis(blockMs)).count(512))
                .subscribe().with(messages -> {
                    String last = after;
                    for (StreamMessage<String, String, String> m : messages) {
                        last = m.id();
                        TokenEvent event = Json.read(m.payload().get(RedisKeys.EVENT_FIELD), TokenEvent.class);
                        emitter.emit(event);
                        if (event.terminal()) {
                            emitter.complete();
                            return;
                        }
                    }
                    poll(key, last, deadlineMs, emitter, stopped);
                }, emitter::fail);
    }
}
