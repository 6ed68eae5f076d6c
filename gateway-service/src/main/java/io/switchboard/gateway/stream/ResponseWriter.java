package io.switchboard.gateway.stream;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeoutException;

import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.error.Errors;
import io.switchboard.gateway.job.ChatCompletionService.RunningJob;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.ChatCompletion;
import io.switchboard.schema.openai.ChatCompletionChunk;
import io.switchboard.schema.wire.Json;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/**
 * Turns a job's token events into the HTTP answer, on the request's Vert.x context.
 * <ul>
 * <li>Streaming: the status and headers wait for the first event, so a job that fails before its first token
 * still gets a real HTTP error. Then: role chunk, content chunks, finish chunk, usage chunk ({@code choices: []})
 * when asked for, {@code data: [DONE]}. A failure after that goes in-band as {@code data: {"error":...}}, then
 * {@code data: [DONE]}.</li>
 * <li>Non-streaming: one {@code chat.completion} body, or the error envelope.</li>
 * </ul>
 * Each method returns whether the job reached a terminal state (so no cancel is needed).
 */
public final class ResponseWriter {
    static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");

    private final HttpServerResponse response;
    private final RunningJob running;
    private final boolean includeUsage;
    private final String fingerprint;
    private final StringBuilder text = new StringBuilder();
    private boolean started;

    public ResponseWriter(HttpServerResponse response, RunningJob running, boolean includeUsage, String fingerprint) {
        this.response = response;
        this.running = running;
        this.includeUsage = includeUsage;
        this.fingerprint = fingerprint;
    }

    /** Streaming: writes one event as SSE. */
    public void stream(TokenEvent event) {
        if (response.closed() || response.ended()) {
            return;
        }
        if (!started) {
            if (event instanceof TokenEvent.Failure failure) {
                error(response, Errors.from(failure));
                return;
            }
            started = true;
            response.setStatusCode(200).setChunked(true)
                    .putHeader("content-type", "text/event-stream; charset=utf-8")
                    .putHeader("cache-control", "no-cache")
                    .putHeader("x-accel-buffering", "no");
            response.write(sse(ChatCompletionChunk.role(id(), created(), model(), fingerprint)));
        }
        switch (event) {
            case TokenEvent.Delta delta -> {
                if (!delta.text().isEmpty()) {
                    response.write(sse(ChatCompletionChunk.content(id(), created(), model(), fingerprint, delta.text())));
                }
            }
            case TokenEvent.Finish finish -> {
                Buffer tail = sse(ChatCompletionChunk.finish(id(), created(), model(), fingerprint, finish.finishReason()));
                if (includeUsage) {
                    tail.appendBuffer(sse(ChatCompletionChunk.usage(id(), created(), model(), fingerprint, finish.usage())));
                }
                response.end(tail.appendBuffer(DONE));
            }
            case TokenEvent.Failure failure -> response.end(sse(Errors.from(failure).body()).appendBuffer(DONE));
        }
    }

    /** Streaming: the event stream itself failed (deadline, Redis). */
    public void streamFailure(Throwable t) {
        if (response.closed() || response.ended()) {
            return;
        }
        ApiException error = Errors.from(t);
        if (!started) {
            error(response, error);
        } else {
            response.end(sse(error.body()).appendBuffer(DONE));
        }
    }

    /** Non-streaming: accumulates deltas and answers at the terminal event. */
    public void collect(TokenEvent event) {
        switch (event) {
            case TokenEvent.Delta delta -> text.append(delta.text());
            case TokenEvent.Finish finish -> {
                if (!response.closed() && !response.ended()) {
                    json(response, 200, ChatCompletion.of(id(), created(), model(), text.toString(), finish.finishReason(),
                            finish.usage(), fingerprint));
                }
            }
            case TokenEvent.Failure failure -> {
                if (!response.closed() && !response.ended()) {
                    error(response, Errors.from(failure));
                }
            }
        }
    }

    public static boolean isTimeout(Throwable t) {
        return t instanceof TimeoutException;
    }

    public static void error(HttpServerResponse response, ApiException error) {
        if (!response.headWritten()) {
            error.headers().forEach(response::putHeader);
        }
        json(response, error.status(), error.body());
    }

    public static void json(HttpServerResponse response, int status, Object body) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status).putHeader("content-type", "application/json").end(Buffer.buffer(Json.writeBytes(body)));
    }

    private static Buffer sse(Object payload) {
        byte[] json = Json.writeBytes(payload);
        return Buffer.buffer(json.length + 8).appendString("data: ", "UTF-8").appendBytes(json)
                .appendBytes("\n\n".getBytes(StandardCharsets.UTF_8));
    }

    private String id() {
        return running.job().jobId();
    }

    private long created() {
        return running.createdSec();
    }

    private String model() {
        return running.job().model();
    }
}
