package io.switchboard.gateway.stream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.keys.ReactiveKeyCommands;
import io.quarkus.redis.datasource.stream.ReactiveStreamCommands;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.smallrye.mutiny.Uni;
import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.metrics.ReliabilityMetrics;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.wire.Json;
import io.switchboard.schema.wire.RedisKeys;

/**
 * Reads a job's token events from its Redis stream one batch at a time, so the caller asks for the next batch only
 * when its client can take it. Each read waits for the entries after the last id the caller has
 * ({@link StreamMultiplexer}: no Redis connection per stream); a read that fails is tried again a few times with
 * backoff, entries are decoded here (a bad one fails the read with {@link BadEventException}), and past the job's
 * deadline a read that finds nothing fails with {@link TimeoutException}.
 */
@ApplicationScoped
public class TokenStreamReader {
    /** The id before every entry: reading after it reads the stream from the start. */
    public static final String START = "0-0";
    private final ReactiveStreamCommands<String, String, String> streams;
    private final ReactiveKeyCommands<String> keys;
    private final StreamMultiplexer multiplexer;
    private final int retries;
    private final Duration backoff;
    private final ReliabilityMetrics metrics;

    @Inject
    public TokenStreamReader(ReactiveRedisDataSource redis, StreamMultiplexer multiplexer, GatewayConfig config,
            ReliabilityMetrics metrics) {
        this.streams = redis.stream(String.class, String.class, String.class);
        this.keys = redis.key(String.class);
        this.multiplexer = multiplexer;
        this.retries = config.streamReadRetries();
        this.backoff = config.streamReadBackoff();
        this.metrics = metrics;
    }

    /**
     * The entries after {@code after}, as soon as there are some (multiplexed with every other open stream over a
     * few Redis connections: {@link StreamMultiplexer}), decoded on the caller's context; a {@link TimeoutException}
     * if none came by the job's deadline. Cancelling the subscription stops the wait.
     */
    public Uni<List<StreamedEvent>> next(String jobId, String after, long deadlineMs) {
        return multiplexer.read(RedisKeys.jobStream(jobId), after, deadlineMs).map(entries -> decodeAll(jobId, entries));
    }

    private static List<StreamedEvent> decodeAll(String jobId, List<StreamMultiplexer.Entry> entries) {
        List<StreamedEvent> events = new ArrayList<>(entries.size());
        for (StreamMultiplexer.Entry m : entries) {
            StreamedEvent event = decode(jobId, m.id(), m.json());
            events.add(event);
            if (event.event().terminal()) {
                break; // nothing follows a terminal event
            }
        }
        return events;
    }

    /**
     * The entries from the stream's start up to and including {@code id}, what a client that resumes after {@code id}
     * already has; an entry that cannot be decoded is left out (the client got an error for it then).
     */
    public Uni<List<StreamedEvent>> upTo(String jobId, String id) {
        return retried(streams.xrange(RedisKeys.jobStream(jobId), StreamRange.of("-", id))).map(messages -> {
            List<StreamedEvent> events = new ArrayList<>(messages.size());
            for (var m : messages) {
                try {
                    events.add(decode(jobId, m.id(), m.payload().get(RedisKeys.EVENT_FIELD)));
                } catch (BadEventException e) {
                    // skipped: it is behind the resume point
                }
            }
            return events;
        });
    }

    /** Whether the job's stream exists (it is made by the job's first event and expires a while after its last). */
    public Uni<Boolean> exists(String jobId) {
        return retried(keys.exists(RedisKeys.jobStream(jobId)));
    }

    private <T> Uni<T> retried(Uni<T> read) {
        return read.onFailure().invoke(metrics::readError)
                .onFailure().retry().withBackOff(backoff, Duration.ofSeconds(1)).atMost(retries)
                .onFailure().invoke(metrics::readFailure);
    }

    /** Decodes one entry; a bad entry is a {@link BadEventException}, never an event the writer would choke on. */
    static StreamedEvent decode(String jobId, String entryId, String json) {
        if (json == null) {
            throw new BadEventException(jobId, entryId, "undecodable", "no field '" + RedisKeys.EVENT_FIELD + "'");
        }
        TokenEvent event;
        try {
            event = Json.MAPPER.readValue(json, TokenEvent.class);
        } catch (InvalidTypeIdException e) {
            throw new BadEventException(jobId, entryId, "unknown", "type " + e.getTypeId());
        } catch (Exception e) {
            throw new BadEventException(jobId, entryId, "undecodable", e.getClass().getSimpleName());
        }
        boolean complete = switch (event) {
            case TokenEvent.Delta d -> !d.empty() && d.index() >= 0;
            case TokenEvent.ChoiceEnd c -> c.index() >= 0 && c.finishReason() != null;
            case TokenEvent.Finish f -> f.finishReason() != null;
            case TokenEvent.Failure f -> f.code() != null && f.message() != null;
        };
        if (!complete) {
            throw new BadEventException(jobId, entryId, "undecodable", "a required field is missing");
        }
        return new StreamedEvent(entryId, event);
    }
}
