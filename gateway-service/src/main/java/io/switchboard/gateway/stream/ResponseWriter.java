package io.switchboard.gateway.stream;

import java.nio.charset.StandardCharsets;

import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.error.Errors;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.ChatCompletion;
import io.switchboard.schema.openai.ChatCompletionChunk;
import io.switchboard.schema.wire.Json;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/**
 * Turns a job's token events into the HTTP answer, on the request's Vert.x context.
 * <ul>
 * <li>Streaming: the status and headers wait for the first event, so a job that fails before its first token
 * still gets a real HTTP error. Then: role chunk, content chunks, finish chunk, usage chunk ({@code choices: []})
 * when asked for, {@code data: [DONE]}. A failure after that goes in-band as {@code data: {"error":...}}, then
 * {@code data: [DONE]}.</li>
 * <li>Every chunk's SSE event carries {@code id:}, the id of the stream entry it came from (finish and usage chunks
 * share the terminal entry's id); the role chunk, which comes from no entry, has {@value TokenStreamReader#START}, the
 * id before all entries. The id line follows the data line ({@code data: {...}\nid: 1712345678901-0\n\n}: any order
 * is valid SSE, and clients that read {@code data:} lines alone still find each event's first line). An in-band error
 * and {@code [DONE]} carry no id: a client that resumes after the last id it has gets them again, nothing else.</li>
 * <li>A stream resumed after an id starts with the next entry: no role chunk, and a failure goes in-band (the
 * client already has a 200).</li>
 * <li>Non-streaming: one {@code chat.completion} body, or the error envelope.</li>
 * </ul>
 * Writes return their future, so the caller can tell a write that failed (a broken connection).
 */
public final class ResponseWriter {
    static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.UTF_8);

    private final HttpServerResponse response;
    private final CompletionHeader header;
    private final boolean includeUsage;
    private final StringBuilder text = new StringBuilder();
    private boolean started;

    /** {@code resumed}: the client already has the stream up to some id (it sent Last-Event-ID). */
    public ResponseWriter(HttpServerResponse response, CompletionHeader header, boolean includeUsage, boolean resumed) {
        this.response = response;
        this.header = header;
        this.includeUsage = includeUsage;
        if (resumed) {
            begin();
        }
    }

    private boolean writable() {
        return !response.closed() && !response.ended();
    }

    private void begin() {
        started = true;
        response.setStatusCode(200).setChunked(true)
                .putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-cache")
                .putHeader("x-accel-buffering", "no");
    }

    /** Streaming: writes one event as SSE; null when nothing was written (the response is over). */
    public Future<Void> stream(StreamedEvent streamed) {
        if (!writable()) {
            return null;
        }
        TokenEvent event = streamed.event();
        String id = streamed.id();
        Buffer out = Buffer.buffer();
        if (!started) {
            if (event instanceof TokenEvent.Failure failure) {
                return error(response, Errors.from(failure));
            }
            begin();
            out.appendBuffer(sse(TokenStreamReader.START, chunk(ChatCompletionChunk.role(header.id(), header.created(),
                    header.model(), header.fingerprint()))));
        }
        switch (event) {
            case TokenEvent.Delta delta -> {
                if (delta.text().isEmpty()) {
                    return out.length() == 0 ? Future.succeededFuture() : response.write(out);
                }
                out.appendBuffer(sse(id, chunk(ChatCompletionChunk.content(header.id(), header.created(), header.model(),
                        header.fingerprint(), delta.text()))));
                return response.write(out);
            }
            case TokenEvent.ChoiceEnd end -> {
                return out.length() == 0 ? Future.succeededFuture() : response.write(out);
            }
            case TokenEvent.Finish finish -> {
                out.appendBuffer(sse(id, chunk(ChatCompletionChunk.finish(header.id(), header.created(), header.model(),
                        header.fingerprint(), finish.finishReason()))));
                if (includeUsage) {
                    out.appendBuffer(sse(id, chunk(ChatCompletionChunk.usage(header.id(), header.created(), header.model(),
                            header.fingerprint(), finish.usage()))));
                }
                return response.end(out.appendBuffer(DONE));
            }
            case TokenEvent.Failure failure -> {
                return response.end(out.appendBuffer(sse(null, Json.writeBytes(Errors.from(failure).body()))).appendBuffer(DONE));
            }
        }
    }

    /** Streaming: the stream has nothing after the id the client resumed from (it ended there): just {@code [DONE]}. */
    public Future<Void> alreadyDone() {
        if (!writable()) {
            return null;
        }
        if (!started) {
            begin();
        }
        return response.end(DONE.copy());
    }

    /**
     * Ends the answer with an error of the gateway's own (deadline, Redis, bad event, slow client, shutdown): a real
     * HTTP error before the stream began or when not streaming, else in-band without an id, then {@code [DONE]}.
     */
    public Future<Void> fail(ApiException error) {
        if (!writable()) {
            return null;
        }
        if (!started) {
            return error(response, error);
        }
        return response.end(sse(null, Json.writeBytes(error.body())).appendBuffer(DONE));
    }

    /** Non-streaming: accumulates deltas and answers at the terminal event. */
    public void collect(StreamedEvent streamed) {
        switch (streamed.event()) {
            case TokenEvent.Delta delta -> text.append(delta.text());
            case TokenEvent.ChoiceEnd end -> {
            }
            case TokenEvent.Finish finish -> {
                if (writable()) {
                    json(response, 200, ChatCompletion.of(header.id(), header.created(), header.model(), text.toString(),
                            finish.finishReason(), finish.usage(), header.fingerprint()));
                }
            }
            case TokenEvent.Failure failure -> {
                if (writable()) {
                    error(response, Errors.from(failure));
                }
            }
        }
    }

    public static Future<Void> error(HttpServerResponse response, ApiException error) {
        if (!response.headWritten()) {
            error.headers().forEach(response::putHeader);
        }
        return json(response, error.status(), error.body());
    }

    public static Future<Void> json(HttpServerResponse response, int status, Object body) {
        if (response.ended() || response.closed()) {
            return null;
        }
        return response.setStatusCode(status).putHeader("content-type", "application/json")
                .end(Buffer.buffer(Json.writeBytes(body)));
    }

    private static byte[] chunk(ChatCompletionChunk chunk) {
        return Json.writeBytes(chunk);
    }

    /** One SSE event: the data line, then the id line when there is an id. */
    private static Buffer sse(String id, byte[] json) {
        Buffer b = Buffer.buffer(json.length + 40).appendString("data: ").appendBytes(json);
        if (id != null) {
            b.appendString("\nid: ").appendString(id);
        }
        return b.appendBytes(END);
    }
}
