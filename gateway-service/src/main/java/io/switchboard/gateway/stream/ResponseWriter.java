package io.switchboard.gateway.stream;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.error.Errors;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.ChatCompletion;
import io.switchboard.schema.openai.ChatCompletionChunk;
import io.switchboard.schema.openai.ChoiceLogprobs;
import io.switchboard.schema.openai.TokenLogprob;
import io.switchboard.schema.openai.ToolCall;
import io.switchboard.schema.wire.Json;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/**
 * Turns a job's token events into the HTTP answer, on the request's Vert.x context.
 * <ul>
 * <li>Streaming: the status and headers wait for the first event, so a job that fails before its first token
 * still gets a real HTTP error. Then: a role chunk per choice, the choices' pieces (content, tool-call pieces and
 * reasoning, each chunk with its choice's index and, when asked for, its tokens' logprobs), each choice's finish chunk
 * (when it ends, or at the job's end), a usage chunk ({@code choices: []}) when asked for, {@code data: [DONE]}. A failure after that goes in-band as {@code data: {"error":...}}, then
 * {@code data: [DONE]}.</li>
 * <li>Every chunk's SSE event carries {@code id:}, the id of the stream entry it came from (finish and usage chunks
 * share the terminal entry's id); the role chunk, which comes from no entry, has {@value TokenStreamReader#START}, the
 * id before all entries. The id line follows the data line ({@code data: {...}\nid: 1712345678901-0\n\n}: any order
 * is valid SSE, and clients that read {@code data:} lines alone still find each event's first line). An in-band error
 * and {@code [DONE]} carry no id: a client that resumes after the last id it has gets them again, nothing else.</li>
 * <li>A stream resumed after an id starts with the next entry: no role chunk, no second finish chunk for a choice
 * that ended before it, the provider named as before, and a failure goes in-band (the client already has a 200).</li>
 * <li>Non-streaming: one {@code chat.completion} body with every choice (its text, or {@code null} when it only
 * calls tools; its tool calls assembled from their pieces; its reasoning and logprobs), or the error envelope.</li>
 * <li>The provider that served the job ({@code local} or {@code cloud}), which the worker's first event names, is the
 * response header {@value #PROVIDER_HEADER} and the {@code provider} field of the body or of every chunk.</li>
 * </ul>
 * Writes return their future, so the caller can tell a write that failed (a broken connection).
 */
public final class ResponseWriter {
    static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");
    /** Which provider served the request. */
    public static final String PROVIDER_HEADER = "x-switchboard-provider";
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.UTF_8);

    private final HttpServerResponse response;
    private final CompletionHeader header;
    private final boolean includeUsage;
    private final Choice[] choices;
    private String provider;
    private boolean started;

    /** An answer from its start. */
    public ResponseWriter(HttpServerResponse response, CompletionHeader header, boolean includeUsage) {
        this.response = response;
        this.header = header;
        this.includeUsage = includeUsage;
        this.choices = new Choice[header.n()];
        for (int i = 0; i < choices.length; i++) {
            choices[i] = new Choice();
        }
    }

    /**
     * A stream resumed after an id (the client sent Last-Event-ID): the client has the stream up to it, in which
     * {@code provider} (null: not yet) was named and the choices of {@code ended} got their finish chunks, so those
     * are not sent again; the chunks go on naming the provider, and the response header names it.
     */
    public static ResponseWriter resumed(HttpServerResponse response, CompletionHeader header, boolean includeUsage,
            String provider, Map<Integer, String> ended) {
        ResponseWriter writer = new ResponseWriter(response, header, includeUsage);
        writer.provider = provider;
        ended.forEach((index, reason) -> {
            if (index >= 0 && index < writer.choices.length) {
                writer.choices[index].finishReason = reason;
            }
        });
        writer.begin();
        return writer;
    }

    /** What one choice produced so far (non-streaming), and whether it ended. */
    private static final class Choice {
        final StringBuilder text = new StringBuilder();
        final StringBuilder reasoning = new StringBuilder();
        final List<TokenLogprob> logprobs = new ArrayList<>();
        final Map<Integer, ToolCallBuilder> toolCalls = new TreeMap<>();
        String finishReason;
    }

    /** One tool call assembled from its streamed pieces: id, type and name from the first, arguments concatenated. */
    private static final class ToolCallBuilder {
        String id;
        String name;
        final StringBuilder arguments = new StringBuilder();

        void add(ToolCall.Chunk c) {
            if (c.id() != null) {
                id = c.id();
            }
            if (c.function() != null) {
                if (c.function().name() != null) {
                    name = c.function().name();
                }
                if (c.function().arguments() != null) {
                    arguments.append(c.function().arguments());
                }
            }
        }

        ToolCall build() {
            return ToolCall.function(id, name, arguments.toString());
        }
    }

    /** Whether the event belongs to this answer: a choice index below {@code n}. Else it is a bad event. */
    public boolean fits(TokenEvent event) {
        return switch (event) {
            case TokenEvent.Delta d -> d.index() < choices.length;
            case TokenEvent.ChoiceEnd c -> c.index() < choices.length;
            default -> true;
        };
    }

    private boolean writable() {
        return !response.closed() && !response.ended();
    }

    private void notice(TokenEvent event) {
        if (provider == null) {
            provider = event.provider();
        }
    }

    private void begin() {
        started = true;
        response.setStatusCode(200).setChunked(true)
                .putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-cache")
                .putHeader("x-accel-buffering", "no");
        if (provider != null) {
            response.putHeader(PROVIDER_HEADER, provider);
        }
    }

    /**
     * Streaming: adds a non-terminal event (a piece, a choice's end) to {@code out} as SSE, the answer's head and role
     * chunks first if it has not begun; written by {@link #write(Buffer)}, so the events of one read leave in one write.
     */
    public void append(StreamedEvent streamed, Buffer out) {
        if (!writable()) {
            return;
        }
        TokenEvent event = streamed.event();
        notice(event);
        startIfNot(out);
        String id = streamed.id();
        switch (event) {
            case TokenEvent.Delta delta -> {
                if (delta.empty()) {
                    return;
                }
                ChatCompletionChunk.Delta d = new ChatCompletionChunk.Delta(null,
                        delta.text().isEmpty() && (delta.toolCalls() != null || delta.reasoning() != null) ? null : delta.text(),
                        delta.toolCalls(), delta.reasoning());
                ChoiceLogprobs logprobs = header.logprobs() ? ChoiceLogprobs.of(delta.logprobs() == null ? List.of()
                        : delta.logprobs()) : null;
                out.appendBuffer(sse(id, chunk(ChatCompletionChunk.piece(header.id(), header.created(), header.model(),
                        header.fingerprint(), delta.index(), d, logprobs))));
            }
            case TokenEvent.ChoiceEnd end -> {
                Choice c = choices[end.index()];
                if (c.finishReason == null) {
                    c.finishReason = end.finishReason();
                    out.appendBuffer(sse(id, chunk(ChatCompletionChunk.finish(header.id(), header.created(), header.model(),
                            header.fingerprint(), end.index(), end.finishReason()))));
                }
            }
            case TokenEvent.Finish f -> throw new IllegalArgumentException("a terminal event ends the answer: end(..)");
            case TokenEvent.Failure f -> throw new IllegalArgumentException("a terminal event ends the answer: end(..)");
        }
    }

    /** Streaming: writes what {@link #append} gathered; null when nothing was written (nothing, or the response is over). */
    public Future<Void> write(Buffer out) {
        return out.length() == 0 || !writable() ? null : response.write(out);
    }

    /**
     * Streaming: ends the answer with its terminal event (after what {@code before} holds, from {@link #append}); null
     * when nothing was written (the response is over).
     */
    public Future<Void> end(StreamedEvent streamed, Buffer before) {
        if (!writable()) {
            return null;
        }
        TokenEvent event = streamed.event();
        notice(event);
        if (!started && event instanceof TokenEvent.Failure failure) {
            return error(response, Errors.from(failure));
        }
        Buffer out = before;
        startIfNot(out);
        String id = streamed.id();
        switch (event) {
            case TokenEvent.Finish finish -> {
                for (int i = 0; i < choices.length; i++) {
                    if (choices[i].finishReason == null) {
                        choices[i].finishReason = finish.finishReason();
                        out.appendBuffer(sse(id, chunk(ChatCompletionChunk.finish(header.id(), header.created(),
                                header.model(), header.fingerprint(), i, finish.finishReason()))));
                    }
                }
                if (includeUsage) {
                    out.appendBuffer(sse(id, chunk(ChatCompletionChunk.usage(header.id(), header.created(), header.model(),
                            header.fingerprint(), finish.usage()))));
                }
                return response.end(out.appendBuffer(DONE));
            }
            case TokenEvent.Failure failure -> {
                return response.end(out.appendBuffer(sse(null, Json.writeBytes(Errors.from(failure).body()))).appendBuffer(DONE));
            }
            default -> throw new IllegalArgumentException("not a terminal event: " + event.getClass().getSimpleName());
        }
    }

    /** The answer's head and a role chunk per choice, before its first event. */
    private void startIfNot(Buffer out) {
        if (started) {
            return;
        }
        begin();
        for (int i = 0; i < choices.length; i++) {
            out.appendBuffer(sse(TokenStreamReader.START, chunk(ChatCompletionChunk.role(header.id(), header.created(),
                    header.model(), header.fingerprint(), i))));
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

    /** Non-streaming: accumulates every choice's pieces and answers at the terminal event. */
    public void collect(StreamedEvent streamed) {
        TokenEvent event = streamed.event();
        notice(event);
        switch (event) {
            case TokenEvent.Delta delta -> {
                Choice c = choices[delta.index()];
                c.text.append(delta.text());
                if (delta.reasoning() != null) {
                    c.reasoning.append(delta.reasoning());
                }
                if (delta.logprobs() != null) {
                    c.logprobs.addAll(delta.logprobs());
                }
                if (delta.toolCalls() != null) {
                    delta.toolCalls().forEach(t -> c.toolCalls.computeIfAbsent(t.index(), i -> new ToolCallBuilder()).add(t));
                }
            }
            case TokenEvent.ChoiceEnd end -> {
                if (choices[end.index()].finishReason == null) {
                    choices[end.index()].finishReason = end.finishReason();
                }
            }
            case TokenEvent.Finish finish -> {
                if (writable()) {
                    if (provider != null) {
                        response.putHeader(PROVIDER_HEADER, provider);
                    }
                    json(response, 200, completion(finish));
                }
            }
            case TokenEvent.Failure failure -> {
                if (writable()) {
                    error(response, Errors.from(failure));
                }
            }
        }
    }

    private ChatCompletion completion(TokenEvent.Finish finish) {
        List<ChatCompletion.Choice> out = new ArrayList<>(choices.length);
        for (int i = 0; i < choices.length; i++) {
            Choice c = choices[i];
            List<ToolCall> calls = c.toolCalls.isEmpty() ? null
                    : c.toolCalls.values().stream().map(ToolCallBuilder::build).toList();
            String content = calls != null && c.text.isEmpty() ? null : c.text.toString();
            ChatCompletion.AssistantMessage message = new ChatCompletion.AssistantMessage("assistant", content, null, calls,
                    c.reasoning.isEmpty() ? null : c.reasoning.toString());
            out.add(new ChatCompletion.Choice(i, message, header.logprobs() ? ChoiceLogprobs.of(c.logprobs) : null,
                    c.finishReason != null ? c.finishReason : finish.finishReason()));
        }
        return new ChatCompletion(header.id(), ChatCompletion.OBJECT, header.created(), header.model(), out, finish.usage(),
                header.fingerprint(), provider);
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

    private byte[] chunk(ChatCompletionChunk chunk) {
        return Json.writeBytes(provider == null ? chunk : chunk.servedBy(provider));
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
