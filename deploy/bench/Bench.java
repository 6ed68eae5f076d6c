import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Closed-loop streaming load against an OpenAI-compatible endpoint: C clients, each sending its share of
 * N streaming chat completions back to back. Per request it takes the time to the first content token
 * (TTFT), the time to [DONE] and the completion tokens from the usage chunk; it prints percentiles of
 * TTFT, the median per-stream decode rate and the aggregate generated tokens/s.
 *
 * java deploy/bench/Bench.java --url http://127.0.0.1:8080 --key sk-switchboard-local --model M
 *      [--concurrency 8] [--requests 64] [--max-tokens 128] [--warmup 4] [--label name]
 *      [--pause-ms 0]   (each client waits this long after each answer: the previous request's tail work is done)
 *      [--n 1]          (choices per request: tokens are the usage's, summed over choices; time to first token is
 *                        the first content of any choice)
 *      [--duration-s 0] (each client sends requests for this long instead of --requests in all)
 *      [--fresh-connections false] (a new connection per request instead of keep-alive: some engines, llama-server
 *      among them, close idle keep-alive connections under a client's feet)
 *      [--client socket] (the small HTTP/1.1 client over java.net.Socket below, http:// only; "jdk":
 *                         java.net.http.HttpClient, whose own thread hops add milliseconds to every time measured)
 *
 * Open loop (--rate): arrivals on a fixed schedule, arrival i due at start + i/R whatever the answers do, sent over a
 * fixed number of keep-alive HTTP/1.1 connections (a small client over java.net.Socket, one virtual thread per
 * connection taking the next due arrival). An arrival that finds every connection busy waits, and its times count
 * from when it was due (no coordinated omission). Errors are counted by HTTP status, io, timeout, sse-error (an
 * in-band error event), no-done (a stream that ended without [DONE]), no-content, and unsent (arrivals that were
 * still waiting for a connection --drain-s after the schedule's end: not sent at all, so the run ends). The achieved
 * rate is the requests answered in full over the time from the first arrival to the last answer.
 *
 * java deploy/bench/Bench.java --url URL --model M --rate 1000 --duration-s 60 --connections 256
 *      [--warmup-s 0] (arrivals of the first W seconds at the same rate, not counted) [--max-tokens 8]
 *      [--timeout-s 60] (per request, between two reads) [--drain-s 15] [--label name]
 *
 * Open streams (--streams): N concurrent streaming requests, one connection each, sent at --open-rate per second. A
 * stream is running once its first content token came (then it stays idle: give the engine a slow pace), waiting
 * while it has no answer yet (the gateway sends the status with the first token: a job queued in the router shows
 * nothing). When all are sent and running or failed, or at least --expect-running are and nothing changed for
 * --settle-s (or --open-timeout-s passed), it prints a line starting with "streams ready:", holds them until
 * --stop-file exists (or --hold-s passed), and prints how many were still open (running, waiting) then, and the
 * errors by status.
 *
 * java deploy/bench/Bench.java --url URL --model M --streams 10000 [--open-rate 1000] [--open-timeout-s 180]
 *      [--settle-s 5] [--expect-running 0] [--hold-s 600] [--stop-file PATH] [--max-tokens 2] [--label name]
 */
public class Bench {
    /** One request: its times, the completion tokens of its usage chunk and how many content chunks carried them. */
    record Result(double ttftMs, double totalMs, int tokens, int chunks, String error) {
        static Result failed(String error) {
            return new Result(0, 0, 0, 0, error);
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new java.util.HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        if (a.containsKey("rate")) {
            OpenLoop.run(a);
            return;
        }
        if (a.containsKey("streams")) {
            OpenStreams.run(a);
            return;
        }
        String url = a.getOrDefault("url", "http://127.0.0.1:8080") + "/v1/chat/completions";
        String key = a.getOrDefault("key", "sk-switchboard-local");
        String model = a.getOrDefault("model", "stories260K");
        int concurrency = Integer.parseInt(a.getOrDefault("concurrency", "1"));
        int requests = Integer.parseInt(a.getOrDefault("requests", String.valueOf(concurrency * 8)));
        int maxTokens = Integer.parseInt(a.getOrDefault("max-tokens", "128"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "4"));
        int n = Integer.parseInt(a.getOrDefault("n", "1"));
        String label = a.getOrDefault("label", "c=" + concurrency);
        long pauseMs = Long.parseLong(a.getOrDefault("pause-ms", "0"));
        // with --duration-s, each client sends requests until then, however many that is
        long durationNanos = (long) (Double.parseDouble(a.getOrDefault("duration-s", "0")) * 1e9);

        boolean fresh = Boolean.parseBoolean(a.getOrDefault("fresh-connections", "false"));
        // the load generator's own cost is part of every time it takes: the default client is the small one over
        // java.net.Socket (one blocking read per chunk); --client jdk takes java.net.http.HttpClient instead, whose
        // request path hops between its own threads (4 to 7 ms more per request at 1 stream, side by side on one stack)
        boolean jdk = "jdk".equals(a.getOrDefault("client", "socket"));
        HttpClient shared = jdk ? HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build() : null;
        java.util.function.Supplier<HttpClient> perRequest = fresh
                ? () -> HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build()
                : () -> shared;
        java.util.function.Supplier<Closed> clients = jdk
                ? () -> new JdkClosed(perRequest, url, key)
                : () -> new SocketClosed(URI.create(a.getOrDefault("url", "http://127.0.0.1:8080")), key, fresh);
        Closed warm = clients.get();
        for (int i = 0; i < warmup; i++) {
            warm.one(model, maxTokens, n, i);
        }
        warm.close();
        ConcurrentLinkedQueue<Result> results = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(concurrency);
        long start = System.nanoTime();
        for (int c = 0; c < concurrency; c++) {
            int client = c;
            Thread.ofPlatform().start(() -> {
                Closed http = clients.get();
                try {
                    long until = System.nanoTime() + durationNanos;
                    for (int r = client; durationNanos > 0 ? System.nanoTime() < until : r < requests; r += concurrency) {
                        results.add(http.one(model, maxTokens, n, r));
                        if (pauseMs > 0) {
                            try {
                                Thread.sleep(pauseMs);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                return;
                            }
                        }
                    }
                } finally {
                    http.close();
                    done.countDown();
                }
            });
        }
        done.await();
        double wallS = (System.nanoTime() - start) / 1e9;

        List<Result> ok = results.stream().filter(r -> r.error() == null).toList();
        List<Double> ttft = new ArrayList<>(ok.stream().map(Result::ttftMs).toList());
        List<Double> rate = new ArrayList<>(ok.stream().filter(r -> r.tokens() > 1 && r.totalMs() > r.ttftMs())
                .map(r -> (r.tokens() - 1) / ((r.totalMs() - r.ttftMs()) / 1000.0)).toList());
        Collections.sort(ttft);
        Collections.sort(rate);
        long tokens = ok.stream().mapToLong(Result::tokens).sum();
        long chunks = ok.stream().mapToLong(Result::chunks).sum();
        System.out.printf("%-28s requests=%d errors=%d ttft_ms p50=%.2f p90=%.2f p99=%.2f max=%.2f | per-stream tok/s p50=%.0f | aggregate tok/s=%.0f (%d tokens in %.2f s) | content chunks/s=%.0f (%.2f tokens each)%n",
                label, results.size(), results.size() - ok.size(), pct(ttft, 50), pct(ttft, 90), pct(ttft, 99),
                ttft.isEmpty() ? Double.NaN : ttft.get(ttft.size() - 1), pct(rate, 50), tokens / wallS, tokens, wallS,
                chunks / wallS, chunks == 0 ? Double.NaN : (double) tokens / chunks);
        results.stream().filter(r -> r.error() != null).limit(3).forEach(r -> System.out.println("  error: " + r.error()));
        System.exit(ok.size() == results.size() ? 0 : 1);
    }

    static final Pattern USAGE = Pattern.compile("\"completion_tokens\":(\\d+)");

    /** The closed loop's request body: a story prompt per request (seed), every token counted (usage chunk). */
    static String closedBody(String model, int maxTokens, int n, int seed) {
        return "{\"model\":\"" + model + "\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + (n > 1 ? "\"n\":" + n + "," : "") + "\"max_tokens\":" + maxTokens + ",\"ignore_eos\":true,\"seed\":" + seed
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story about request " + seed + "\"}]}";
    }

    /** One closed-loop client: sends a streaming request and reads its answer to the end, one at a time. */
    interface Closed extends AutoCloseable {
        Result one(String model, int maxTokens, int n, int seed);

        @Override
        void close();
    }

    /** Reads a streaming answer's SSE lines (null at its end) into a result; t0 is when the request was sent. */
    static Result stream(long t0, java.util.function.Supplier<String> lines) {
        double ttft = -1;
        int tokens = 0;
        int chunks = 0;
        boolean doneSeen = false;
        String error = null;
        for (String line; (line = lines.get()) != null;) {
            if (!line.startsWith("data: ")) {
                continue;
            }
            if (line.equals("data: [DONE]")) {
                doneSeen = true;
                break;
            }
            if (line.contains("\"delta\":{\"content\":")) {
                chunks++;
                if (ttft < 0) {
                    ttft = (System.nanoTime() - t0) / 1e6;
                }
            }
            if (line.startsWith("data: {\"error\"")) {
                error = line;
            }
            Matcher m = USAGE.matcher(line);
            if (m.find()) {
                tokens = Integer.parseInt(m.group(1));
            }
        }
        double total = (System.nanoTime() - t0) / 1e6;
        if (error != null || !doneSeen || ttft < 0) {
            return Result.failed(error != null ? error : "stream ended without " + (doneSeen ? "content" : "[DONE]"));
        }
        return new Result(ttft, total, tokens, chunks, null);
    }

    /** The closed loop over the small socket client: one keep-alive connection (or a new one per request). */
    static final class SocketClosed implements Closed {
        final URI base;
        final String key;
        final boolean fresh;
        Conn conn;

        SocketClosed(URI url, String key, boolean fresh) {
            this.base = url;
            this.key = key;
            this.fresh = fresh;
        }

        @Override
        public Result one(String model, int maxTokens, int n, int seed) {
            byte[] request = request(base, key, closedBody(model, maxTokens, n, seed));
            for (int attempt = 0;; attempt++) {
                boolean reused = conn != null && conn.used;
                try {
                    // from before the connect when there is one to make (as the JDK client counts it)
                    long t0 = System.nanoTime();
                    if (conn == null) {
                        conn = new Conn(base.getHost(), port(base), 120_000, 16384);
                    }
                    conn.send(request);
                    Response r = Response.read(conn);
                    Result result;
                    if (r.status != 200) {
                        result = Result.failed("HTTP " + r.status + " " + r.text(2000));
                    } else {
                        result = stream(t0, () -> {
                            try {
                                return r.line();
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        });
                        // the rest of the body (after [DONE]: the chunked end), so the connection can be used again
                        r.text(0);
                    }
                    if (fresh || !r.keepAlive) {
                        close();
                    }
                    return result;
                } catch (java.io.IOException | RuntimeException e) { // RuntimeException: unreadable sizes too
                    close();
                    if (e instanceof StaleConnection && reused && attempt == 0) {
                        continue; // the server had closed the idle connection: nothing was sent
                    }
                    return Result.failed(e.toString());
                }
            }
        }

        @Override
        public void close() {
            if (conn != null) {
                conn.close();
                conn = null;
            }
        }
    }

    /** The closed loop over java.net.http.HttpClient (--client jdk): a client per request with fresh connections. */
    record JdkClosed(java.util.function.Supplier<HttpClient> clients, String url, String key) implements Closed {
        @Override
        public Result one(String model, int maxTokens, int n, int seed) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(closedBody(model, maxTokens, n, seed))).build();
            long t0 = System.nanoTime();
            try {
                HttpResponse<java.util.stream.Stream<String>> resp = clients.get().send(req, HttpResponse.BodyHandlers.ofLines());
                if (resp.statusCode() != 200) {
                    return Result.failed("HTTP " + resp.statusCode() + " " + String.join("", resp.body().toList()));
                }
                java.util.Iterator<String> it = resp.body().iterator();
                Result result = stream(t0, () -> it.hasNext() ? it.next() : null);
                resp.body().close();
                return result;
            } catch (Exception e) {
                return Result.failed(e.toString());
            }
        }

        @Override
        public void close() {
        }
    }

    static double pct(List<Double> sorted, int p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    // ---- open loop and open streams: a small HTTP/1.1 client over java.net.Socket --------------------------------

    /** The streaming request of the open-loop and open-streams modes, as bytes on the wire. */
    static byte[] streamingRequest(URI base, String key, String model, int maxTokens) {
        return request(base, key, "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":"
                + maxTokens + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    }

    /** A POST of this JSON body to the chat completions path of base, as bytes on the wire. */
    static byte[] request(URI base, String key, String body) {
        byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String path = (base.getPath() == null ? "" : base.getPath().replaceAll("/+$", "")) + "/v1/chat/completions";
        String head = "POST " + path + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + port(base) + "\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: " + b.length + "\r\n\r\n";
        byte[] h = head.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] all = java.util.Arrays.copyOf(h, h.length + b.length);
        System.arraycopy(b, 0, all, h.length, b.length);
        return all;
    }

    static int port(URI base) {
        return base.getPort() > 0 ? base.getPort() : 80;
    }

    /** A connection that closed before answering (a keep-alive connection the server had dropped). */
    static final class StaleConnection extends java.io.IOException {
        StaleConnection() {
            super("connection closed before the status line");
        }
    }

    /** One HTTP/1.1 keep-alive connection; bytes are read through its own buffer. */
    static final class Conn implements AutoCloseable {
        final java.net.Socket socket;
        final java.io.OutputStream out;
        final java.io.InputStream in;
        final byte[] buf;
        int pos;
        int lim;
        boolean used;

        Conn(String host, int port, int readTimeoutMs, int bufferBytes) throws java.io.IOException {
            socket = new java.net.Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new java.net.InetSocketAddress(host, port), 10_000);
            socket.setSoTimeout(readTimeoutMs);
            out = socket.getOutputStream();
            in = socket.getInputStream();
            buf = new byte[bufferBytes];
        }

        int read() throws java.io.IOException {
            if (pos == lim) {
                int n = in.read(buf, 0, buf.length);
                if (n <= 0) {
                    return -1;
                }
                pos = 0;
                lim = n;
            }
            return buf[pos++] & 0xff;
        }

        /** One header line without its CR LF; null at the end of the connection before any byte of it. */
        String line() throws java.io.IOException {
            StringBuilder sb = new StringBuilder(64);
            for (int c; (c = read()) != -1;) {
                if (c == '\n') {
                    int n = sb.length();
                    if (n > 0 && sb.charAt(n - 1) == '\r') {
                        sb.setLength(n - 1);
                    }
                    return sb.toString();
                }
                sb.append((char) c);
            }
            return sb.isEmpty() ? null : sb.toString();
        }

        void send(byte[] request) throws java.io.IOException {
            used = true;
            out.write(request);
            out.flush();
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (java.io.IOException ignored) {
                // closing anyway
            }
        }
    }

    /** A response: its status and its body, chunked, sized or up to the end of the connection, read line by line. */
    static final class Response {
        final Conn c;
        final int status;
        final boolean chunked;
        boolean keepAlive;
        long left; // bytes left of the current chunk (chunked) or of the body (sized); -1: to the connection's end
        boolean chunkDataRead;
        boolean ended;

        private Response(Conn c, int status, boolean chunked, long length, boolean keepAlive) {
            this.c = c;
            this.status = status;
            this.chunked = chunked;
            this.left = chunked ? 0 : length;
            this.keepAlive = keepAlive && (chunked || length >= 0);
        }

        static Response read(Conn c) throws java.io.IOException {
            String statusLine = c.line();
            if (statusLine == null) {
                throw new StaleConnection();
            }
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new java.io.IOException("not an HTTP/1.x status line: " + statusLine);
            }
            int status = Integer.parseInt(parts[1]);
            boolean chunked = false;
            boolean keepAlive = parts[0].equals("HTTP/1.1");
            long length = -1;
            for (String h; (h = c.line()) != null && !h.isEmpty();) {
                int colon = h.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String name = h.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
                String value = h.substring(colon + 1).trim().toLowerCase(java.util.Locale.ROOT);
                switch (name) {
                    case "transfer-encoding" -> chunked = value.contains("chunked");
                    case "content-length" -> length = Long.parseLong(value);
                    case "connection" -> keepAlive = value.contains("keep-alive") || (keepAlive && !value.contains("close"));
                    default -> {
                    }
                }
            }
            return new Response(c, status, chunked, length, keepAlive);
        }

        /** The body's next byte, -1 at its end. */
        int read() throws java.io.IOException {
            if (ended) {
                return -1;
            }
            if (chunked) {
                if (left == 0) {
                    if (chunkDataRead) { // the CR LF after a chunk's data
                        String crlf = c.line();
                        if (crlf == null) {
                            throw new java.io.EOFException("connection closed inside a chunked body");
                        }
                        if (!crlf.isEmpty()) {
                            throw new java.io.IOException("bad chunked encoding");
                        }
                    }
                    String size = c.line();
                    if (size == null) {
                        throw new java.io.EOFException("connection closed inside a chunked body");
                    }
                    int semi = size.indexOf(';');
                    long n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                    if (n == 0) {
                        for (String t; (t = c.line()) != null && !t.isEmpty();) {
                            // trailers: none expected
                        }
                        ended = true;
                        return -1;
                    }
                    left = n;
                    chunkDataRead = true;
                }
                left--;
                return must(c.read());
            }
            if (left >= 0) {
                if (left == 0) {
                    ended = true;
                    return -1;
                }
                left--;
                return must(c.read());
            }
            int b = c.read();
            if (b < 0) {
                ended = true;
                keepAlive = false;
            }
            return b;
        }

        private static int must(int b) throws java.io.EOFException {
            if (b < 0) {
                throw new java.io.EOFException("connection closed inside a body");
            }
            return b;
        }

        /** The body's next line (LF or CR LF ended), null at its end. Bytes are read as Latin-1: only ASCII is matched. */
        String line() throws java.io.IOException {
            StringBuilder sb = new StringBuilder(128);
            for (int b; (b = read()) != -1;) {
                if (b == '\n') {
                    int n = sb.length();
                    if (n > 0 && sb.charAt(n - 1) == '\r') {
                        sb.setLength(n - 1);
                    }
                    return sb.toString();
                }
                sb.append((char) b);
            }
            return sb.isEmpty() ? null : sb.toString();
        }

        String text(int max) throws java.io.IOException {
            StringBuilder sb = new StringBuilder();
            for (int b; (b = read()) != -1;) {
                if (sb.length() < max) {
                    sb.append((char) b);
                }
            }
            return sb.toString();
        }
    }

    static void sleepUntil(long deadlineNanos) {
        for (long d; (d = deadlineNanos - System.nanoTime()) > 0;) {
            java.util.concurrent.locks.LockSupport.parkNanos(d);
        }
    }

    static String errors(Map<String, ? extends Number> byKind) {
        if (byKind.isEmpty()) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        new java.util.TreeMap<>(byKind).forEach((k, v) -> sb.append(sb.isEmpty() ? "" : " ").append(k).append('=').append(v));
        return sb.toString();
    }

    static String ms(List<Double> sorted, int p) {
        return String.format(java.util.Locale.ROOT, "%.2f", pct(sorted, p));
    }

    static String max(List<Double> sorted) {
        return sorted.isEmpty() ? "NaN" : String.format(java.util.Locale.ROOT, "%.2f", sorted.get(sorted.size() - 1));
    }

    /**
     * Fixed-rate arrivals over a fixed set of connections. Arrival i is due at start + i/R; an idle connection takes the
     * next arrival (a shared counter: the queue of due arrivals) and sends it when it is due, or at once when it is
     * already late because every connection was busy; its times count from when it was due.
     */
    static final class OpenLoop {
        record Sample(long due, long sent, long first, long end, int tokens, String error) {
        }

        static void run(Map<String, String> a) throws Exception {
            URI base = URI.create(a.getOrDefault("url", "http://127.0.0.1:8080"));
            String key = a.getOrDefault("key", "sk-switchboard-local");
            String model = a.getOrDefault("model", "simulated");
            double rate = Double.parseDouble(a.get("rate"));
            double durationS = Double.parseDouble(a.getOrDefault("duration-s", "10"));
            double warmupS = Double.parseDouble(a.getOrDefault("warmup-s", "0"));
            int connections = Integer.parseInt(a.getOrDefault("connections", "64"));
            int maxTokens = Integer.parseInt(a.getOrDefault("max-tokens", "8"));
            int timeoutMs = (int) (Double.parseDouble(a.getOrDefault("timeout-s", "60")) * 1000);
            // arrivals still unsent this long after the schedule's end are counted as 'unsent', not sent
            long drainNanos = (long) (Double.parseDouble(a.getOrDefault("drain-s", "15")) * 1e9);
            String label = a.getOrDefault("label", "open-loop " + (long) rate + "/s");
            byte[] request = streamingRequest(base, key, model, maxTokens);

            long arrivals = (long) Math.ceil((warmupS + durationS) * rate);
            long start = System.nanoTime() + 100_000_000L; // the connections' threads are running by then
            long measuredFrom = start + (long) (warmupS * 1e9);
            long scheduleEnd = start + (long) ((warmupS + durationS) * 1e9);
            java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong();
            ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<String> details = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int k = 0; k < connections; k++) {
                threads.add(Thread.ofVirtual().name("conn-" + k).start(() -> {
                    Conn c = null;
                    for (long i; (i = next.getAndIncrement()) < arrivals;) {
                        long due = start + (long) (i * 1e9 / rate);
                        sleepUntil(due);
                        Sample s;
                        if (System.nanoTime() - scheduleEnd > drainNanos) {
                            s = new Sample(due, 0, 0, 0, 0, "unsent");
                        } else {
                            for (int attempt = 0;; attempt++) {
                                boolean reused = c != null && c.used;
                                try {
                                    if (c == null) {
                                        c = new Conn(base.getHost(), port(base), timeoutMs, 16384);
                                    }
                                    long sent = System.nanoTime();
                                    c.send(request);
                                    Response r = Response.read(c);
                                    s = answer(due, sent, r, details);
                                    if (!r.keepAlive) {
                                        c.close();
                                        c = null;
                                    }
                                    break;
                                } catch (java.io.IOException e) {
                                    if (c != null) {
                                        c.close();
                                        c = null;
                                    }
                                    if (e instanceof StaleConnection && reused && attempt == 0) {
                                        continue; // the server had closed the idle connection: nothing was sent
                                    }
                                    String kind = e instanceof java.net.SocketTimeoutException ? "timeout" : "io";
                                    if (details.size() < 3) {
                                        details.add(kind + ": " + e);
                                    }
                                    s = new Sample(due, 0, 0, 0, 0, kind);
                                    break;
                                }
                            }
                        }
                        if (due >= measuredFrom) {
                            samples.add(s);
                        }
                    }
                    if (c != null) {
                        c.close();
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }

            List<Sample> ok = samples.stream().filter(s -> s.error() == null).toList();
            Map<String, Long> errors = samples.stream().filter(s -> s.error() != null)
                    .collect(java.util.stream.Collectors.groupingBy(Sample::error, java.util.stream.Collectors.counting()));
            List<Double> ttft = ok.stream().map(s -> (s.first() - s.due()) / 1e6).sorted().toList();
            List<Double> total = ok.stream().map(s -> (s.end() - s.due()) / 1e6).sorted().toList();
            List<Double> sentTtft = ok.stream().map(s -> (s.first() - s.sent()) / 1e6).sorted().toList();
            List<Double> wait = samples.stream().filter(s -> s.sent() > 0).map(s -> (s.sent() - s.due()) / 1e6).sorted().toList();
            long lastEnd = ok.stream().mapToLong(Sample::end).max().orElse(measuredFrom);
            double spanS = Math.max(durationS, (lastEnd - measuredFrom) / 1e9);
            long tokens = ok.stream().mapToLong(Sample::tokens).sum();
            System.out.printf(java.util.Locale.ROOT,
                    "%-28s rate=%.0f/s for %.0f s, %d connections: scheduled=%d ok=%d achieved=%.1f req/s | ttft_ms p50=%s p90=%s p99=%s max=%s"
                            + " | total_ms p50=%s p99=%s | send_wait_ms p99=%s max=%s | ttft_from_send_ms p50=%s p99=%s"
                            + " | completion tok/s=%.0f | errors: %s%n",
                    label, rate, durationS, connections, samples.size(), ok.size(), ok.size() / spanS, ms(ttft, 50), ms(ttft, 90),
                    ms(ttft, 99), max(ttft), ms(total, 50), ms(total, 99), ms(wait, 99), max(wait), ms(sentTtft, 50),
                    ms(sentTtft, 99), tokens / spanS, errors(errors));
            // refusals (429 and 503: the platform said no): how long the answer took, from its send and from when it was due
            List<Sample> refused = samples.stream().filter(s -> "429".equals(s.error()) || "503".equals(s.error())).toList();
            if (!refused.isEmpty()) {
                List<Double> fromSend = refused.stream().map(s -> (s.end() - s.sent()) / 1e6).sorted().toList();
                List<Double> fromDue = refused.stream().map(s -> (s.end() - s.due()) / 1e6).sorted().toList();
                System.out.printf(java.util.Locale.ROOT,
                        "%-28s refused=%d (429/503) | refusal_ms from send p50=%s p99=%s max=%s | from due p50=%s p99=%s max=%s%n",
                        label, refused.size(), ms(fromSend, 50), ms(fromSend, 99), max(fromSend), ms(fromDue, 50),
                        ms(fromDue, 99), max(fromDue));
            }
            details.stream().limit(3).forEach(d -> System.out.println("  error " + d));
            System.exit(0);
        }

        /** Reads one answer to its end: a sample with the times of its first content token and of [DONE]. */
        static Sample answer(long due, long sent, Response r, ConcurrentLinkedQueue<String> details) throws java.io.IOException {
            if (r.status != 200) {
                String body = r.text(300);
                if (details.size() < 3) {
                    details.add(r.status + ": " + body);
                }
                return new Sample(due, sent, 0, System.nanoTime(), 0, String.valueOf(r.status));
            }
            long first = 0;
            long end = 0;
            int tokens = 0;
            String error = null;
            for (String line; (line = r.line()) != null;) {
                if (!line.startsWith("data: ")) {
                    continue;
                }
                if (line.equals("data: [DONE]")) {
                    end = System.nanoTime();
                    continue; // the body ends right after it
                }
                if (first == 0 && line.contains("\"delta\":{\"content\":")) {
                    first = System.nanoTime();
                }
                if (line.startsWith("data: {\"error\"")) {
                    error = "sse-error";
                    if (details.size() < 3) {
                        details.add("sse-error: " + line);
                    }
                }
                Matcher m = USAGE.matcher(line);
                if (m.find()) {
                    tokens = Integer.parseInt(m.group(1));
                }
            }
            if (error == null && end == 0) {
                error = "no-done";
            } else if (error == null && first == 0) {
                error = "no-content";
            }
            return new Sample(due, sent, first, end, tokens, error);
        }
    }

    /**
     * Many concurrent streams held open, each on its own connection. A stream is running once its first content token
     * came (then it stays idle: the engine's next token is far away); before that it waits (sent, no answer yet: the
     * gateway answers with the first token, so a job still in the router's queue shows nothing). Held until told to stop.
     */
    static final class OpenStreams {
        static final java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
        static final java.util.concurrent.atomic.AtomicInteger runningNow = new java.util.concurrent.atomic.AtomicInteger();
        static final java.util.concurrent.atomic.AtomicInteger everRunning = new java.util.concurrent.atomic.AtomicInteger();
        static final java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
        static final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.LongAdder> beforeAnswer = new java.util.concurrent.ConcurrentHashMap<>();
        static final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.LongAdder> whileRunning = new java.util.concurrent.ConcurrentHashMap<>();
        static final ConcurrentLinkedQueue<Double> firstMs = new ConcurrentLinkedQueue<>();
        static final ConcurrentLinkedQueue<String> details = new ConcurrentLinkedQueue<>();
        static volatile boolean stopping;

        /** Sent, and neither answered nor failed yet. */
        static int waiting() {
            return sent.get() - everRunning.get() - failed.get();
        }

        static void run(Map<String, String> a) throws Exception {
            URI base = URI.create(a.getOrDefault("url", "http://127.0.0.1:8080"));
            String key = a.getOrDefault("key", "sk-switchboard-local");
            String model = a.getOrDefault("model", "simulated");
            int n = Integer.parseInt(a.get("streams"));
            double openRate = Double.parseDouble(a.getOrDefault("open-rate", "1000"));
            long openTimeout = (long) (Double.parseDouble(a.getOrDefault("open-timeout-s", "180")) * 1e9);
            // once all are sent: ready when nothing changed (no stream started running nor failed) for this long
            long settle = (long) (Double.parseDouble(a.getOrDefault("settle-s", "5")) * 1e9);
            // ... and at least this many started running or failed (the worker's slots: the rest wait in a queue)
            int expectRunning = Math.min(n, Integer.parseInt(a.getOrDefault("expect-running", "0")));
            long hold = (long) (Double.parseDouble(a.getOrDefault("hold-s", "600")) * 1e9);
            java.nio.file.Path stopFile = a.containsKey("stop-file") ? java.nio.file.Path.of(a.get("stop-file")) : null;
            int maxTokens = Integer.parseInt(a.getOrDefault("max-tokens", "2"));
            String label = a.getOrDefault("label", "open streams");
            byte[] request = streamingRequest(base, key, model, maxTokens);

            Conn[] conns = new Conn[n];
            long start = System.nanoTime() + 100_000_000L;
            for (int k = 0; k < n; k++) {
                int i = k;
                Thread.ofVirtual().start(() -> stream(base, request, start + (long) (i * 1e9 / openRate), conns, i));
            }
            long lastPrint = System.nanoTime();
            long lastChange = System.nanoTime();
            int lastSeen = -1;
            while (System.nanoTime() - start < openTimeout) {
                Thread.sleep(200);
                int seen = everRunning.get() + failed.get();
                if (seen != lastSeen) {
                    lastSeen = seen;
                    lastChange = System.nanoTime();
                }
                if (sent.get() >= n && (seen >= n || seen >= expectRunning && System.nanoTime() - lastChange > settle)) {
                    break;
                }
                if (System.nanoTime() - lastPrint > 5_000_000_000L) {
                    lastPrint = System.nanoTime();
                    System.out.printf(java.util.Locale.ROOT, "  streams: %.0f s: sent=%d running=%d waiting=%d failed=%d (%s)%n",
                            (lastPrint - start) / 1e9, sent.get(), runningNow.get(), waiting(), failed.get(), errors(beforeAnswer));
                }
            }
            double openedInS = (System.nanoTime() - start) / 1e9;
            List<Double> first = firstMs.stream().sorted().toList();
            System.out.printf(java.util.Locale.ROOT,
                    "streams ready: running=%d waiting=%d of %d after %.1f s | first_token_ms p50=%s p99=%s max=%s"
                            + " | errors before an answer: %s | ended while running: %s%n",
                    runningNow.get(), waiting(), n, openedInS, ms(first, 50), ms(first, 99), max(first), errors(beforeAnswer),
                    errors(whileRunning));
            System.out.flush();
            long holdFrom = System.nanoTime();
            while (System.nanoTime() - holdFrom < hold && (stopFile == null || !java.nio.file.Files.exists(stopFile))) {
                Thread.sleep(200);
            }
            int stillRunning = runningNow.get();
            int stillWaiting = waiting();
            double heldS = (System.nanoTime() - holdFrom) / 1e9;
            stopping = true;
            for (Conn c : conns) {
                if (c != null) {
                    c.close();
                }
            }
            first = firstMs.stream().sorted().toList();
            System.out.printf(java.util.Locale.ROOT,
                    "%-28s streams=%d (ready after %.1f s) at stop after %.0f s held: open=%d (running=%d, waiting=%d) | first_token_ms p50=%s"
                            + " p99=%s | errors before an answer: %s | ended while running: %s%n",
                    label, n, openedInS, heldS, stillRunning + stillWaiting, stillRunning, stillWaiting, ms(first, 50),
                    ms(first, 99), errors(beforeAnswer), errors(whileRunning));
            details.stream().limit(3).forEach(d -> System.out.println("  error " + d));
            System.exit(0);
        }

        static void count(java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.LongAdder> m, String kind) {
            m.computeIfAbsent(kind, k -> new java.util.concurrent.atomic.LongAdder()).increment();
        }

        static void stream(URI base, byte[] request, long due, Conn[] conns, int i) {
            sleepUntil(due);
            boolean wasSent = false;
            boolean running = false;
            String end = null;
            try {
                if (stopping) {
                    return;
                }
                Conn c = new Conn(base.getHost(), port(base), 0, 1024);
                conns[i] = c;
                long t0 = System.nanoTime();
                c.send(request);
                wasSent = true;
                sent.incrementAndGet();
                Response r = Response.read(c);
                if (r.status != 200) {
                    String body = r.text(300);
                    if (details.size() < 3) {
                        details.add(r.status + ": " + body);
                    }
                    end = String.valueOf(r.status);
                } else {
                    boolean done = false;
                    for (String line; (line = r.line()) != null;) {
                        if (!line.startsWith("data: ")) {
                            continue;
                        }
                        if (line.equals("data: [DONE]")) {
                            done = true;
                        } else if (line.startsWith("data: {\"error\"")) {
                            end = "sse-error";
                            if (details.size() < 3) {
                                details.add("sse-error: " + line);
                            }
                        } else if (!running && line.contains("\"delta\":{\"content\":")) {
                            running = true;
                            firstMs.add((System.nanoTime() - t0) / 1e6);
                            runningNow.incrementAndGet();
                            everRunning.incrementAndGet();
                        }
                    }
                    if (end == null) {
                        end = done ? "done" : "no-done";
                    }
                }
                c.close();
            } catch (java.io.IOException e) {
                if (stopping) {
                    return; // closed by the stop itself
                }
                end = e instanceof java.net.SocketTimeoutException ? "timeout" : wasSent ? "io" : "connect";
                if (details.size() < 3) {
                    details.add(end + ": " + e);
                }
            }
            if (stopping) {
                return;
            }
            if (running) {
                runningNow.decrementAndGet();
                count(whileRunning, end);
            } else {
                count(beforeAnswer, end);
                if (!wasSent) {
                    sent.incrementAndGet(); // counted as sent and failed, so waiting() stays right
                }
                failed.incrementAndGet();
            }
        }
    }
}
