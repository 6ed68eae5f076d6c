package io.switchboard.worker.engine.openai;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A local HTTP test double of an OpenAI-compatible server: {@code /health} answers {@link #healthStatus}, and
 * {@code /v1/chat/completions} runs whatever {@link Reply} the test set (the last request body is kept).
 */
final class FakeUpstream implements AutoCloseable {
    /** What the chat endpoint does with one request. */
    @FunctionalInterface
    interface Reply {
        void answer(HttpExchange exchange) throws Exception;
    }

    private final HttpServer server;
    volatile int healthStatus = 200;
    volatile Reply chat = ex -> status(ex, 500, "{\"error\":{\"message\":\"no reply set\"}}");
    final AtomicReference<String> lastRequest = new AtomicReference<>();
    final AtomicReference<String> lastAuthorization = new AtomicReference<>();

    FakeUpstream() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/health", ex -> {
            status(ex, healthStatus, "{}");
        });
        server.createContext("/v1/chat/completions", ex -> {
            try {
                lastRequest.set(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                lastAuthorization.set(ex.getRequestHeaders().getFirst("Authorization"));
                chat.answer(ex);
            } catch (Exception e) {
                // the client went away
            } finally {
                ex.close();
            }
        });
        server.start();
    }

    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
    }

    static void status(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    /** An SSE answer: each event as a {@code data:} line, flushed one by one. */
    static Reply sse(String... events) {
        return ex -> {
            OutputStream out = startStream(ex);
            for (String event : events) {
                out.write(("data: " + event + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        };
    }

    static OutputStream startStream(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        return ex.getResponseBody();
    }

    /** A streamed chunk of choice {@code index} with {@code delta}, and a finish reason or null. */
    static String chunk(int index, String delta, String finishReason) {
        return "{\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-3.5-turbo\",\"choices\":[{\"index\":"
                + index + ",\"delta\":" + delta + ",\"finish_reason\":"
                + (finishReason == null ? "null" : "\"" + finishReason + "\"") + "}]}";
    }

    static String usage(int prompt, int completion) {
        return "{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":" + prompt + ",\"completion_tokens\":" + completion
                + ",\"total_tokens\":" + (prompt + completion) + "}}";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
