package io.switchboard.chaos;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Fault injection under load: against a platform started by {@code deploy/local/run.sh} with the simulated engine, keeps
 * an open-loop mixed load (streaming and not, a fixed rate) and, for each fault in turn, loads for a warm-up, injects the
 * fault through {@code $SWITCHBOARD_RUN_DIR/pids/<service>.pid}, keeps loading for a tail, waits for every request sent
 * in that window to end, and classifies each. One JDK-only file: {@code ChaosIT} uses it as a class, and
 * {@code deploy/chaos/run.sh} runs it with {@code java ChaosDriver.java} (the arguments are listed in {@link #main}).
 *
 * <p>Faults, {@code service:action}: service {@code gateway}, {@code router} (the active one: the holder of the lease
 * {@code switchboard:router:leader}, else the first router), {@code worker} ({@code worker-1}), {@code kafka},
 * {@code redis}; action {@code kill} (SIGKILL), {@code term} (SIGTERM), {@code pause} (SIGSTOP, then SIGCONT after the
 * pause). run.sh's supervisor restarts what exits.
 *
 * <p>Every request sent in a window ends up in exactly one class, the first that applies:
 * <ul>
 * <li><b>duplicated</b>: its job's stream {@code switchboard:job:{id}:events} holds two terminal events (read with
 * XRANGE as soon as the request ends, long before the stream's time to live, and again at the end of the window), or
 * its text came twice (the simulated engine's text is known in advance: the first {@code max_tokens} words of
 * {@link #WORDS}). At the end of the window (once the faulted service is back) every job stream in Redis is read again,
 * so a job that ran again later is caught too (its request becomes duplicated), and so is one whose request never
 * learnt its id (an error answered before the stream began): such a job is added to the column while its request,
 * unknown, stays in its own class, so the columns may then add up to more than the requests sent.</li>
 * <li><b>lost</b>: no terminal outcome at all by the client's give-up time, the gateway's request timeout plus a
 * margin: no answer, or a stream still open with neither a finish nor an error; or a response that ended cleanly
 * without one.</li>
 * <li><b>hung</b>: ended by the deadline: HTTP 504, or an error (HTTP or in-band) of code {@code request_timeout} or
 * type {@code timeout_error}.</li>
 * <li><b>completed</b>: HTTP 200 and the whole expected text, with a finish ({@code finish_reason} then {@code [DONE]}
 * for a stream). A stream cut by a gateway that went away counts as completed when resuming it
 * ({@code GET /v1/chat/completions/{id}/stream} with {@code Last-Event-ID}) brought the rest; the row says how many
 * were resumed.</li>
 * <li><b>error</b>, by code: {@code <status> <error code>} for an HTTP error, {@code in-band <code>} for an error
 * inside a stream, {@code conn_refused} (nothing listening), {@code conn_broken} (the connection broke and could not be
 * resumed), {@code wrong_text}, {@code done_without_finish}.</li>
 * </ul>
 * <b>Recovery</b>: the time from the fault (for a pause: from the SIGCONT, when the fault ends) to the sending of the
 * first request from which on every request sent in the window completed; 0 when every request sent after it
 * completed; none (not recovered) when the last ones did not. Targets: no lost, duplicated or hung request for any
 * fault; recovery within 5 s for the router and a worker, within 10 s for Kafka and Redis.
 */
public final class ChaosDriver {
    /** The simulated engine's text (inference-worker's {@code SimulatedEngine.WORDS}): one word per token, cycling. */
    static final String[] WORDS = ("Once upon a time there was a little switchboard that routed every request to a "
            + "worker with room and never lost a single token on the way home .").split(" ");
    static final String LEADER_KEY = "switchboard:router:leader";
    static final String JOB_STREAMS = "switchboard:job:*:events";

    // ---- what to do ---------------------------------------------------------------------------------------------

    public enum Action {
        KILL("kill -9", "KILL"), TERM("SIGTERM", "TERM"), PAUSE("pause", "STOP");

        final String label;
        final String signal;

        Action(String label, String signal) {
            this.label = label;
            this.signal = signal;
        }
    }

    /** One fault: a service ({@code gateway, router, worker, kafka, redis}) and what is done to it. */
    public record Fault(String service, Action action) {
        public static Fault parse(String s) {
            String[] p = s.trim().split(":");
            if (p.length != 2 || !List.of("gateway", "router", "worker", "kafka", "redis").contains(p[0])) {
                throw new IllegalArgumentException("a fault is service:action, service one of gateway, router, worker, "
                        + "kafka, redis, action one of kill, term, pause: " + s);
            }
            return new Fault(p[0], Action.valueOf(p[1].toUpperCase(java.util.Locale.ROOT)));
        }

        public static List<Fault> parseAll(String list) {
            List<Fault> out = new ArrayList<>();
            for (String s : list.split(",")) {
                if (!s.isBlank()) {
                    out.add(parse(s));
                }
            }
            return out;
        }

        /** Recovery target in seconds, or none (the gateway: there is one). */
        Double recoveryTargetS() {
            return switch (service) {
                case "router", "worker" -> 5.0;
                case "kafka", "redis" -> 10.0;
                default -> null;
            };
        }

        String label() {
            return action == Action.PAUSE ? service + " pause" : service + " " + action.label;
        }
    }

    /**
     * @param gateway        the gateway's base URL
     * @param runDir         run.sh's {@code SWITCHBOARD_RUN_DIR} (pids/, endpoints)
     * @param rate           requests per second, sent at even intervals whatever the answers (open loop)
     * @param streamShare    the share of streaming requests
     * @param requestTimeout the gateway's request timeout ({@code switchboard.gateway.request-timeout})
     * @param margin         how long past the request timeout the client waits before it calls a request lost
     * @param prime          load before the first fault's window, not counted: the services' code warmed up
     * @param details        a file that gets one line per request (TSV), or null
     */
    public record Settings(URI gateway, Path runDir, String apiKey, String model, double rate, double streamShare,
            int minTokens, int maxTokens, Duration warmup, Duration tail, Duration pause, Duration requestTimeout,
            Duration margin, Duration healthTimeout, long seed, Duration prime, Path details) {

        public static Settings defaults(URI gateway, Path runDir) {
            return new Settings(gateway, runDir, "sk-switchboard-local", "simulated", 50, 0.5, 8, 24,
                    Duration.ofSeconds(10), Duration.ofSeconds(50), Duration.ofSeconds(10), Duration.ofSeconds(20),
                    Duration.ofSeconds(10), Duration.ofSeconds(120), 1, Duration.ofSeconds(10), null);
        }

        public Settings withLoad(double rate, Duration warmup, Duration tail) {
            return new Settings(gateway, runDir, apiKey, model, rate, streamShare, minTokens, maxTokens, warmup, tail, pause,
                    requestTimeout, margin, healthTimeout, seed, prime, details);
        }

        public Settings withTimeouts(Duration requestTimeout, Duration margin) {
            return new Settings(gateway, runDir, apiKey, model, rate, streamShare, minTokens, maxTokens, warmup, tail, pause,
                    requestTimeout, margin, healthTimeout, seed, prime, details);
        }

        /** Load before the first window, not counted; zero for none. */
        public Settings withPrime(Duration prime) {
            return new Settings(gateway, runDir, apiKey, model, rate, streamShare, minTokens, maxTokens, warmup, tail, pause,
                    requestTimeout, margin, healthTimeout, seed, prime, details);
        }

        /** Where each request's record goes (TSV, appended), or null for nowhere. */
        public Settings withDetails(Path details) {
            return new Settings(gateway, runDir, apiKey, model, rate, streamShare, minTokens, maxTokens, warmup, tail, pause,
                    requestTimeout, margin, healthTimeout, seed, prime, details);
        }
    }

    /** What one fault's window came to. {@code recoveryS} null: not recovered within the window. */
    public record Row(Fault fault, String target, int sent, int completed, int resumed, Map<String, Integer> errors,
            int hung, int lost, int duplicated, int unchecked, Double recoveryS, Double restartS, String timeline) {

        /** The targets this row misses, empty when it meets them all. */
        public List<String> missed() {
            List<String> out = new ArrayList<>();
            if (lost > 0) {
                out.add("lost");
            }
            if (duplicated > 0) {
                out.add("duplicated");
            }
            if (hung > 0) {
                out.add("hung");
            }
            Double target = fault.recoveryTargetS();
            if (target != null && (recoveryS == null || recoveryS > target)) {
                out.add("recovery > " + target.intValue() + " s");
            }
            return out;
        }

        String errorsText() {
            if (errors.isEmpty()) {
                return "0";
            }
            StringBuilder b = new StringBuilder();
            errors.forEach((code, n) -> b.append(b.isEmpty() ? "" : ", ").append(code).append(" ×").append(n));
            return b.toString();
        }

        static final String HEADER = "| fault | target | sent | completed | errors by code | hung | lost | duplicated | recovery | restarted in | targets |\n"
                + "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---|";

        String markdown() {
            return "| " + fault.label() + " | " + target + " | " + sent + " | " + completed
                    + (resumed > 0 ? " (" + resumed + " resumed)" : "") + " | " + errorsText() + " | " + hung + " | " + lost
                    + " | " + duplicated + (unchecked > 0 ? " (" + unchecked + " unchecked)" : "") + " | "
                    + (recoveryS == null ? "not recovered" : String.format(java.util.Locale.ROOT, "%.1f s", recoveryS))
                    + " | " + (restartS == null ? "–" : String.format(java.util.Locale.ROOT, "%.1f s", restartS)) + " | "
                    + (missed().isEmpty() ? "met" : "missed: " + String.join(", ", missed())) + " |";
        }
    }

    // ---- one request ----------------------------------------------------------------------------------------------

    enum Outcome {
        COMPLETED, ERROR, HUNG, LOST, DUPLICATED
    }

    /** One request and what became of it. Written by its own thread, then read once it is done. */
    static final class Call {
        final int seq;
        final long sentNs;
        final boolean stream;
        final int maxTokens;
        volatile Thread thread;
        volatile boolean gaveUp;
        final CountDownLatch done = new CountDownLatch(1);
        final CountDownLatch checked = new CountDownLatch(1);
        Outcome outcome;
        String code;
        String id;
        final StringBuilder text = new StringBuilder();
        boolean resumed;
        int finishes;
        /** The SSE id of the last event read: where a resumed stream goes on from. */
        String lastEventId;
        /** What the client saw go wrong, for the details file. */
        String detail;
        /** Terminal events in the job's stream: -1 not read (no id, or Redis never answered). */
        volatile int terminals = -1;
        long endNs;

        Call(int seq, long sentNs, boolean stream, int maxTokens) {
            this.seq = seq;
            this.sentNs = sentNs;
            this.stream = stream;
            this.maxTokens = maxTokens;
        }
    }

    static String expectedText(int tokens) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < tokens; i++) {
            b.append(i == 0 ? "" : " ").append(WORDS[i % WORDS.length]);
        }
        return b.toString();
    }

    // ---- the driver -------------------------------------------------------------------------------------------------

    private final Settings s;
    private final HttpClient http;
    private final java.util.concurrent.ScheduledThreadPoolExecutor timers = new java.util.concurrent.ScheduledThreadPoolExecutor(1,
            r -> {
                Thread t = new Thread(r, "chaos-timer");
                t.setDaemon(true);
                return t;
            });
    private final BlockingQueue<Call> toCheck = new LinkedBlockingQueue<>();
    /** Terminal events seen so far in each job stream read, by key: a stream is counted duplicated once, when it is. */
    private final Map<String, Integer> terminalsSeen = new ConcurrentHashMap<>();
    private boolean primed;
    private final Redis redis;
    private final Map<String, Integer> ports;
    private final Random random;
    private final Thread checker;
    private volatile boolean closed;

    public ChaosDriver(Settings settings) throws IOException {
        this.s = settings;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2))
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
        this.timers.setRemoveOnCancelPolicy(true);
        this.ports = readEndpoints(settings.runDir());
        if (!ports.containsKey("redis")) {
            throw new IllegalStateException("no redis in " + settings.runDir().resolve("endpoints"));
        }
        this.redis = new Redis(ports.get("redis"));
        this.random = new Random(settings.seed());
        this.checker = Thread.ofPlatform().daemon().name("chaos-checker").start(this::checkStreams);
    }

    static Map<String, Integer> readEndpoints(Path runDir) throws IOException {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(runDir.resolve("endpoints"))) {
            String[] p = line.trim().split("\\s+");
            if (p.length == 2) {
                out.put(p[0], Integer.parseInt(p[1]));
            }
        }
        return out;
    }

    /** Primes the platform (once), then runs each fault in turn with the settings' tail, and returns their rows. */
    public List<Row> run(List<Fault> faults) throws Exception {
        List<Row> rows = new ArrayList<>();
        for (Fault f : faults) {
            rows.add(inject(f, s.tail()));
        }
        return rows;
    }

    /**
     * One fault's window, once the platform is healthy (and, the first time, primed): warm-up, fault, {@code tail} of
     * load after it; then every request's outcome, and a sweep of the job streams once the service is back.
     */
    public Row inject(Fault fault, Duration tail) throws Exception {
        if (!primed && !s.prime().isZero()) {
            log("waiting for a healthy platform, then " + s.prime().toSeconds() + " s of load to warm it up");
            awaitHealthy(s.healthTimeout());
            load(System.nanoTime() + s.prime().toNanos(), new ArrayList<>());
            sweep(Map.of()); // what the warm-up left is no window's
        }
        primed = true;
        log("waiting for a healthy platform before " + fault.label());
        if (!awaitHealthy(s.healthTimeout())) {
            log("the platform is not healthy after " + s.healthTimeout().toSeconds() + " s; going on anyway");
        }
        Row row = window(fault, tail);
        log(fault.label() + " (" + row.target() + "): " + row.timeline());
        System.out.println(Row.HEADER);
        System.out.println(row.markdown());
        return row;
    }

    private Row window(Fault fault, Duration tail) throws Exception {
        List<Call> calls = Collections.synchronizedList(new ArrayList<>());
        long intervalNs = (long) (1e9 / s.rate());
        long start = System.nanoTime();
        long faultAt = start + s.warmup().toNanos();
        long end = faultAt + tail.toNanos();
        String target = null;
        long pid = -1;
        long resumedAt = -1;
        long recoveryFrom = faultAt;
        RestartWatch restart = null;
        int seq = 0;
        for (long next = start; next < end; next += intervalNs) {
            long now = System.nanoTime();
            if (target == null && now >= faultAt) {
                target = resolveTarget(fault.service());
                pid = pidOf(target);
                signal(pid, fault.action().signal);
                faultAt = now;
                log("t=" + ms(now - start) + " ms: " + fault.action().signal + " " + target + " (pid " + pid + ")");
                if (fault.action() == Action.PAUSE) {
                    resumedAt = now + s.pause().toNanos();
                } else {
                    restart = new RestartWatch(target, pid, now);
                }
            }
            if (resumedAt > 0 && now >= resumedAt) {
                signal(pid, "CONT");
                log("t=" + ms(now - start) + " ms: CONT " + target + " (pid " + pid + ")");
                recoveryFrom = now;
                resumedAt = -1;
            }
            if (now < next) {
                LockSupport.parkNanos(next - now);
            }
            calls.add(sendOne(seq++));
        }
        if (resumedAt > 0) { // a pause longer than the tail
            signal(pid, "CONT");
            recoveryFrom = System.nanoTime();
        }
        long giveUpNs = s.requestTimeout().plus(s.margin()).plusSeconds(5).toNanos();
        for (Call c : calls) {
            c.done.await(Math.max(1, c.sentNs + giveUpNs - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        for (Call c : calls) { // the checker reads each job's stream as its request ends; Redis may take a while back
            c.checked.await(Math.max(1, c.endNs + TimeUnit.SECONDS.toNanos(60) - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        // a service that comes back may act on what it had left (an inbox read again): sweep once it is back
        Double restartS = restart == null ? null : restart.await(Duration.ofSeconds(60));
        if (restartS != null) {
            Thread.sleep(2000);
        }
        Map<String, Call> byKey = new HashMap<>();
        for (Call c : calls) {
            if (c.id != null) {
                byKey.put(streamKey(c.id), c);
            }
        }
        int sweepDuplicates = sweep(byKey);
        Row row = classify(fault, target, calls, start, faultAt, recoveryFrom, sweepDuplicates, restartS);
        writeDetails(fault, calls, start);
        return row;
    }

    /** Load without a fault until {@code end}; the calls are added to {@code calls}, and waited for. */
    private void load(long end, List<Call> calls) throws InterruptedException {
        long intervalNs = (long) (1e9 / s.rate());
        int seq = 0;
        for (long next = System.nanoTime(); next < end; next += intervalNs) {
            long now = System.nanoTime();
            if (now < next) {
                LockSupport.parkNanos(next - now);
            }
            calls.add(sendOne(seq++));
        }
        for (Call c : calls) {
            c.done.await(s.requestTimeout().plus(s.margin()).plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** One request, streaming or not and of a length drawn from the settings, sent now on a thread of its own. */
    private Call sendOne(int seq) {
        Call call = new Call(seq, System.nanoTime(), random.nextDouble() < s.streamShare(),
                s.minTokens() + random.nextInt(s.maxTokens() - s.minTokens() + 1));
        Thread.ofVirtual().start(() -> execute(call));
        return call;
    }

    private void writeDetails(Fault fault, List<Call> calls, long start) throws IOException {
        if (s.details() == null) {
            return;
        }
        StringBuilder b = new StringBuilder();
        if (!Files.exists(s.details())) {
            b.append("fault\tseq\tsent_ms\tend_ms\tstream\tmax_tokens\toutcome\tcode\tid\tterminals\ttext_chars\t"
                    + "expected_chars\tresumed\tdetail\n");
        }
        List<Call> ordered = new ArrayList<>(calls);
        ordered.sort((x, y) -> Long.compare(x.sentNs, y.sentNs));
        for (Call c : ordered) {
            b.append(fault.service()).append(':').append(fault.action().name().toLowerCase(java.util.Locale.ROOT)).append('\t')
                    .append(c.seq).append('\t').append(ms(c.sentNs - start)).append('\t').append(ms(c.endNs - start))
                    .append('\t').append(c.stream).append('\t').append(c.maxTokens).append('\t').append(c.outcome)
                    .append('\t').append(c.code == null ? "" : c.code).append('\t').append(c.id == null ? "" : c.id)
                    .append('\t').append(c.terminals).append('\t').append(c.text.length()).append('\t')
                    .append(expectedText(c.maxTokens).length()).append('\t').append(c.resumed).append('\t')
                    .append(c.detail == null ? "" : c.detail.replace('\t', ' ').replace('\n', ' ')).append('\n');
        }
        Files.writeString(s.details(), b.toString(), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
    }

    private Row classify(Fault fault, String target, List<Call> calls, long start, long faultAt, long recoveryFrom,
            int sweepDuplicates, Double restartS) {
        Map<String, Integer> errors = new TreeMap<>();
        int completed = 0, resumed = 0, hung = 0, lost = 0, duplicated = sweepDuplicates, unchecked = 0;
        List<Call> ordered = new ArrayList<>(calls);
        ordered.sort((a, b) -> Long.compare(a.sentNs, b.sentNs));
        for (Call c : ordered) {
            if (c.done.getCount() > 0) { // its own give-up timer never fired: count it lost all the same
                c.outcome = Outcome.LOST;
            }
            if (c.id != null && c.terminals < 0) {
                unchecked++;
            }
            if (c.terminals > 1 || c.finishes > 1 || (c.text.length() > expectedText(c.maxTokens).length()
                    && c.text.toString().startsWith(expectedText(c.maxTokens)))) {
                c.outcome = Outcome.DUPLICATED;
            }
            switch (c.outcome) {
                case COMPLETED -> {
                    completed++;
                    resumed += c.resumed ? 1 : 0;
                }
                case ERROR -> errors.merge(c.code, 1, Integer::sum);
                case HUNG -> hung++;
                case LOST -> lost++;
                case DUPLICATED -> duplicated++;
            }
        }
        // recovery: from the fault's end to the first request after the last one sent since then that did not complete
        Double recovery = 0.0;
        for (int i = ordered.size() - 1; i >= 0; i--) {
            Call c = ordered.get(i);
            if (c.sentNs < recoveryFrom) {
                break;
            }
            if (c.outcome != Outcome.COMPLETED) {
                recovery = i == ordered.size() - 1 ? null : (ordered.get(i + 1).sentNs - recoveryFrom) / 1e9;
                break;
            }
        }
        return new Row(fault, target, calls.size(), completed, resumed, errors, hung, lost, duplicated, unchecked, recovery,
                restartS, timeline(ordered, start, faultAt));
    }

    /** One character per second of sending: '.' all completed, 'e' errors, 'H' hung, lost or duplicated; '|' the fault. */
    private static String timeline(List<Call> ordered, long start, long faultAt) {
        StringBuilder b = new StringBuilder();
        int faultSecond = (int) ((faultAt - start) / 1_000_000_000L);
        Map<Integer, Character> marks = new TreeMap<>();
        for (Call c : ordered) {
            int second = (int) ((c.sentNs - start) / 1_000_000_000L);
            char mark = switch (c.outcome) {
                case COMPLETED -> '.';
                case ERROR -> 'e';
                default -> 'H';
            };
            marks.merge(second, mark, (a, n) -> a == 'H' || n == 'H' ? 'H' : a == 'e' || n == 'e' ? 'e' : '.');
        }
        marks.forEach((second, mark) -> {
            if (second == faultSecond) {
                b.append('|');
            }
            b.append(mark);
        });
        return b.toString();
    }

    // ---- one request, end to end --------------------------------------------------------------------------------

    private void execute(Call c) {
        c.thread = Thread.currentThread();
        long giveUpAt = s.requestTimeout().plus(s.margin()).toNanos();
        var timer = timers.schedule(() -> {
            if (c.done.getCount() > 0) {
                c.gaveUp = true;
                c.thread.interrupt();
            }
        }, giveUpAt, TimeUnit.NANOSECONDS);
        try {
            send(c, s.requestTimeout().plus(s.margin()));
        } catch (Exception e) {
            if (c.gaveUp || e instanceof InterruptedException) {
                end(c, Outcome.LOST, null);
            } else if (e instanceof ConnectException || e instanceof HttpConnectTimeoutException) {
                end(c, Outcome.ERROR, "conn_refused");
            } else if (e instanceof IOException) {
                end(c, Outcome.ERROR, "conn_broken");
            } else {
                end(c, Outcome.ERROR, "client " + e.getClass().getSimpleName());
            }
            c.detail = e.toString();
        } finally {
            timer.cancel(false);
            Thread.interrupted();
            if (c.outcome == null) {
                end(c, Outcome.LOST, null);
            }
            c.endNs = System.nanoTime();
            c.done.countDown();
            toCheck.add(c);
        }
    }

    private void send(Call c, Duration timeout) throws IOException, InterruptedException {
        String body = "{\"model\":\"" + s.model() + "\",\"stream\":" + c.stream + ",\"max_tokens\":" + c.maxTokens
                + ",\"ignore_eos\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Chaos request " + c.seq + "\"}]}";
        HttpRequest req = HttpRequest.newBuilder(s.gateway().resolve("/v1/chat/completions"))
                .timeout(timeout)
                .header("Authorization", "Bearer " + s.apiKey()).header("Content-Type", "application/json")
                .header("x-request-id", "chaos-" + c.seq).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<InputStream> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            if (e instanceof HttpConnectTimeoutException) {
                throw e;
            }
            end(c, Outcome.LOST, null);
            return;
        }
        if (resp.statusCode() != 200) {
            String text = new String(resp.body().readAllBytes(), StandardCharsets.UTF_8);
            errorAnswer(c, resp.statusCode() + " ", parseQuietly(text), resp.statusCode() == 504);
            return;
        }
        if (!c.stream) {
            String text = new String(resp.body().readAllBytes(), StandardCharsets.UTF_8);
            Object json = parseQuietly(text);
            c.id = str(Json.at(json, "id"));
            Object content = Json.at(json, "choices", 0, "message", "content");
            if (content != null) {
                c.text.append(content);
            }
            if (Json.at(json, "choices", 0, "finish_reason") != null) {
                c.finishes++;
            }
            complete(c);
            return;
        }
        try {
            readStream(c, resp.body());
            if (c.outcome == null) { // ended cleanly without [DONE]
                end(c, Outcome.LOST, null);
            }
        } catch (IOException e) {
            if (c.gaveUp || Thread.currentThread().isInterrupted()) {
                throw e;
            }
            if (c.outcome == null) { // the error, if any, was read before the connection broke
                resume(c);
            }
        }
    }

    /** Reads SSE until [DONE] or the end; sets the outcome when a terminal outcome is read. */
    private static void readStream(Call c, InputStream body) throws IOException {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("id:")) {
                    c.lastEventId = line.substring(3).trim();
                    continue;
                }
                if (!line.startsWith("data:")) {
                    continue;
                }
                String data = line.substring(5).trim();
                if (data.equals("[DONE]")) {
                    if (c.outcome == null) {
                        complete(c);
                    }
                    return;
                }
                Object json = parseQuietly(data);
                if (Json.at(json, "error") != null) {
                    errorAnswer(c, "in-band ", json, false);
                    continue;
                }
                if (c.id == null) {
                    c.id = str(Json.at(json, "id"));
                }
                Object delta = Json.at(json, "choices", 0, "delta", "content");
                if (delta != null) {
                    c.text.append(delta);
                }
                if (Json.at(json, "choices", 0, "finish_reason") != null) {
                    c.finishes++;
                }
            }
        }
    }

    /** A stream cut before its end: resume it while the client would still wait, on a gateway that can. */
    private void resume(Call c) throws InterruptedException {
        if (c.id == null) {
            end(c, Outcome.ERROR, "conn_broken");
            return;
        }
        long giveUp = c.sentNs + s.requestTimeout().plus(s.margin()).toNanos();
        while (System.nanoTime() < giveUp) {
            HttpRequest.Builder b = HttpRequest.newBuilder(s.gateway().resolve("/v1/chat/completions/" + c.id + "/stream"))
                    .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + s.apiKey()).GET();
            String from = c.lastEventId;
            if (from != null) {
                b.header("Last-Event-ID", from);
            }
            try {
                HttpResponse<InputStream> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
                if (resp.statusCode() != 200) {
                    resp.body().close();
                    end(c, Outcome.ERROR, "conn_broken");
                    return;
                }
                if (from == null) { // replayed from the start
                    c.text.setLength(0);
                    c.finishes = 0;
                }
                c.resumed = true;
                readStream(c, resp.body());
                if (c.outcome == null) {
                    end(c, Outcome.LOST, null);
                }
                return;
            } catch (ConnectException | HttpConnectTimeoutException e) {
                Thread.sleep(250); // the gateway is not back yet
            } catch (IOException e) {
                if (c.gaveUp) {
                    throw new InterruptedException("gave up");
                }
                Thread.sleep(250);
            }
        }
        end(c, Outcome.ERROR, "conn_broken");
    }

    private static void complete(Call c) {
        String expected = expectedText(c.maxTokens);
        if (c.finishes == 0) {
            end(c, Outcome.ERROR, "done_without_finish");
        } else if (c.text.toString().equals(expected)) {
            end(c, Outcome.COMPLETED, null);
        } else {
            end(c, Outcome.ERROR, "wrong_text");
        }
    }

    private static void errorAnswer(Call c, String prefix, Object json, boolean gatewayTimeout) {
        String code = str(Json.at(json, "error", "code"));
        String type = str(Json.at(json, "error", "type"));
        if (gatewayTimeout || "request_timeout".equals(code) || "timeout_error".equals(type)) {
            end(c, Outcome.HUNG, null);
        } else {
            end(c, Outcome.ERROR, prefix + (code != null ? code : type));
        }
    }

    private static void end(Call c, Outcome outcome, String code) {
        if (c.outcome == null) {
            c.outcome = outcome;
            c.code = code;
        }
    }

    // ---- the jobs' Redis streams --------------------------------------------------------------------------------

    /**
     * Reads each ended request's job stream as soon as it ends: how many terminal events it holds. While Redis is away
     * the calls wait their turn, for up to 50 s (a finished job's stream lives 60 s).
     */
    private void checkStreams() {
        List<Call> pending = new ArrayList<>();
        while (!closed) {
            try {
                Call c = toCheck.poll(200, TimeUnit.MILLISECONDS);
                if (c != null) {
                    pending.add(c);
                }
            } catch (InterruptedException e) {
                return;
            }
            toCheck.drainTo(pending);
            boolean redisAway = false;
            for (var it = pending.iterator(); it.hasNext();) {
                Call c = it.next();
                if (c.id != null && !redisAway) {
                    String key = streamKey(c.id);
                    try {
                        c.terminals = terminals(redis.call("XRANGE", key, "-", "+"));
                        terminalsSeen.put(key, c.terminals);
                    } catch (IOException e) {
                        redisAway = true;
                    }
                }
                if (c.id == null || c.terminals >= 0 || System.nanoTime() - c.endNs > TimeUnit.SECONDS.toNanos(50)) {
                    it.remove();
                    c.checked.countDown();
                }
            }
            if (redisAway) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
        }
    }

    /**
     * Every job stream in Redis, read again: how many came to hold two terminal events since they were last read (a job
     * that ran again after its request ended, or one whose request never learnt its id). A stream of one of
     * {@code window}'s requests marks that request; the others are counted.
     */
    private int sweep(Map<String, Call> window) {
        int duplicates = 0;
        try {
            String cursor = "0";
            do {
                List<?> reply = (List<?>) redis.call("SCAN", cursor, "MATCH", JOB_STREAMS, "COUNT", "1000");
                cursor = (String) reply.get(0);
                for (Object key : (List<?>) reply.get(1)) {
                    int n = terminals(redis.call("XRANGE", (String) key, "-", "+"));
                    Integer before = terminalsSeen.put((String) key, n);
                    Call c = window.get(key);
                    if (c != null) {
                        c.terminals = Math.max(c.terminals, n);
                    }
                    if (n > 1 && (before == null || before < 2)) {
                        duplicates += c == null ? 1 : 0;
                        log("two terminal events in " + key + (before == null ? " (a job no request saw the id of)"
                                : " (" + before + " when its request ended)"));
                    }
                }
            } while (!cursor.equals("0"));
        } catch (IOException e) {
            log("sweep of the job streams failed: " + e.getMessage());
        }
        return duplicates;
    }

    static String streamKey(String jobId) {
        return "switchboard:job:{" + jobId + "}:events";
    }

    static int terminals(Object xrange) {
        int n = 0;
        if (xrange instanceof List<?> entries) {
            for (Object entry : entries) {
                List<?> fields = (List<?>) ((List<?>) entry).get(1);
                for (int i = 1; i < fields.size(); i += 2) {
                    Object type = Json.at(parseQuietly((String) fields.get(i)), "type");
                    if ("finish".equals(type) || "failure".equals(type)) {
                        n++;
                    }
                }
            }
        }
        return n;
    }

    // ---- processes: run.sh's pid files and endpoints ----------------------------------------------------------------

    private String resolveTarget(String service) {
        return switch (service) {
            case "router" -> {
                String leader = null;
                try {
                    leader = (String) redis.call("GET", LEADER_KEY);
                } catch (IOException e) {
                    log("cannot read " + LEADER_KEY + ": " + e.getMessage());
                }
                if (leader != null) { // the lease holds the router's id: run.sh names each router after its id
                    String id = leader;
                    String holder = ports.keySet().stream().filter(n -> n.startsWith("router") && id.startsWith(n))
                            .max(java.util.Comparator.comparingInt(String::length)).orElse(null);
                    if (holder != null) {
                        yield holder;
                    }
                }
                String first = ports.containsKey("router") ? "router" : "router-1";
                log("no router holds " + LEADER_KEY + " (" + leader + "): taking " + first);
                yield first;
            }
            case "worker" -> "worker-1";
            default -> service;
        };
    }

    long pidOf(String service) throws IOException {
        return Long.parseLong(Files.readString(s.runDir().resolve("pids").resolve(service + ".pid")).trim());
    }

    static void signal(long pid, String signal) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", "-s", signal, String.valueOf(pid)).redirectErrorStream(true).start();
        if (p.waitFor() != 0) {
            throw new IOException("kill -s " + signal + " " + pid + ": " + new String(p.getInputStream().readAllBytes()));
        }
    }

    /** Alive and not paused (state T in /proc/pid/stat). */
    static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'T' && state != 't' && state != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    private boolean up(String service) {
        try {
            long pid = pidOf(service);
            if (!running(pid)) {
                return false;
            }
            int port = ports.get(service);
            if (service.equals("redis")) {
                return "PONG".equals(new Redis(port).callOnce("PING"));
            }
            if (service.equals("kafka")) {
                try (Socket sock = new Socket()) {
                    sock.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                    return true;
                }
            }
            String path = service.startsWith("router") ? "/q/health/live" : "/q/health/ready";
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(2))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    /** Every service up, and requests answered in full for 3 s on end. */
    public boolean awaitHealthy(Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        long healthySince = -1;
        while (System.nanoTime() < until) {
            if (ports.keySet().stream().allMatch(this::up) && probe()) {
                long now = System.nanoTime();
                healthySince = healthySince < 0 ? now : healthySince;
                if (now - healthySince >= TimeUnit.SECONDS.toNanos(3)) {
                    return true;
                }
            } else {
                healthySince = -1;
            }
            Thread.sleep(250);
        }
        return false;
    }

    private boolean probe() {
        Call c = new Call(-1, System.nanoTime(), false, 3);
        try {
            send(c, Duration.ofSeconds(5));
        } catch (Exception e) {
            return false;
        }
        return c.outcome == Outcome.COMPLETED;
    }

    /** Watches a killed service come back under a new pid: seconds from the fault until it is up. */
    private final class RestartWatch {
        private final CountDownLatch up = new CountDownLatch(1);
        private volatile double seconds = -1;

        RestartWatch(String service, long oldPid, long faultAt) {
            Thread.ofVirtual().start(() -> {
                long until = faultAt + TimeUnit.SECONDS.toNanos(180);
                while (System.nanoTime() < until && !closed) {
                    try {
                        if (pidOf(service) != oldPid && up(service)) {
                            seconds = (System.nanoTime() - faultAt) / 1e9;
                            break;
                        }
                    } catch (IOException | RuntimeException e) {
                        // no pid file while it is down
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                }
                up.countDown();
            });
        }

        Double await(Duration timeout) throws InterruptedException {
            up.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return seconds < 0 ? null : seconds;
        }
    }

    public void close() {
        closed = true;
        checker.interrupt();
        timers.shutdownNow();
        redis.close();
    }

    static void log(String line) {
        System.out.println("[chaos] " + line);
        System.out.flush();
    }

    static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    static String str(Object o) {
        return o == null ? null : o.toString();
    }

    static Object parseQuietly(String text) {
        try {
            return Json.parse(text);
        } catch (RuntimeException e) {
            return null;
        }
    }

    // ---- main -------------------------------------------------------------------------------------------------------

    /**
     * java ChaosDriver.java --run-dir DIR [--url http://127.0.0.1:8080] [--key K] [--model simulated] [--rate 50]
     * [--stream-share 0.5] [--warmup-s 10] [--tail-s 50] [--pause-s 10] [--timeout-s 20] [--margin-s 10]
     * [--prime-s 10] [--faults gateway:kill,...] [--out table.md] [--details requests.tsv]. Exits 1 when a row misses a
     * target.
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        if (!a.containsKey("run-dir")) {
            System.err.println("usage: java ChaosDriver.java --run-dir DIR [--url URL] [--rate 50] [--faults ...] [--out FILE]");
            System.exit(2);
        }
        Settings d = Settings.defaults(URI.create(a.getOrDefault("url", "http://127.0.0.1:8080")), Path.of(a.get("run-dir")));
        Settings s = new Settings(d.gateway(), d.runDir(), a.getOrDefault("key", d.apiKey()), a.getOrDefault("model", d.model()),
                Double.parseDouble(a.getOrDefault("rate", "50")), Double.parseDouble(a.getOrDefault("stream-share", "0.5")),
                d.minTokens(), d.maxTokens(), seconds(a, "warmup-s", d.warmup()), seconds(a, "tail-s", d.tail()),
                seconds(a, "pause-s", d.pause()), seconds(a, "timeout-s", d.requestTimeout()),
                seconds(a, "margin-s", d.margin()), d.healthTimeout(), d.seed(), seconds(a, "prime-s", d.prime()),
                a.containsKey("details") ? Path.of(a.get("details")) : null);
        List<Fault> faults = Fault.parseAll(a.getOrDefault("faults", String.join(",", "gateway:kill", "gateway:term",
                "router:kill", "router:term", "worker:kill", "worker:term", "kafka:kill", "kafka:term", "kafka:pause",
                "redis:kill", "redis:term")));
        ChaosDriver driver = new ChaosDriver(s);
        List<Row> rows;
        try {
            rows = driver.run(faults);
        } finally {
            driver.close();
        }
        StringBuilder table = new StringBuilder(Row.HEADER).append('\n');
        rows.forEach(r -> table.append(r.markdown()).append('\n'));
        System.out.println();
        System.out.println("rate " + s.rate() + " requests/s (" + Math.round(s.streamShare() * 100) + "% streaming), warm-up "
                + s.warmup().toSeconds() + " s, tail " + s.tail().toSeconds() + " s after the fault, request timeout "
                + s.requestTimeout().toSeconds() + " s");
        System.out.print(table);
        if (a.containsKey("out")) {
            Files.writeString(Path.of(a.get("out")), table.toString());
        }
        System.exit(rows.stream().allMatch(r -> r.missed().isEmpty()) ? 0 : 1);
    }

    private static Duration seconds(Map<String, String> a, String key, Duration fallback) {
        return a.containsKey(key) ? Duration.ofMillis((long) (Double.parseDouble(a.get(key)) * 1000)) : fallback;
    }

    // ---- a little RESP client and a little JSON reader, so that this file needs nothing but the JDK -----------------

    /** One connection to Redis, reopened after a failure; calls are serialised. */
    static final class Redis {
        private final int port;
        private Socket socket;
        private BufferedInputStream in;
        private OutputStream out;

        Redis(int port) {
            this.port = port;
        }

        synchronized Object call(String... args) throws IOException {
            try {
                if (socket == null) {
                    socket = new Socket();
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                    socket.setSoTimeout(3000);
                    in = new BufferedInputStream(socket.getInputStream());
                    out = socket.getOutputStream();
                }
                return exchange(in, out, args);
            } catch (IOException | RuntimeException e) {
                close();
                throw e instanceof IOException io ? io : new IOException(e);
            }
        }

        /** One command on a connection of its own. */
        Object callOnce(String... args) throws IOException {
            try (Socket sock = new Socket()) {
                sock.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                sock.setSoTimeout(2000);
                return exchange(new BufferedInputStream(sock.getInputStream()), sock.getOutputStream(), args);
            }
        }

        synchronized void close() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
                socket = null;
            }
        }

        private static Object exchange(BufferedInputStream in, OutputStream out, String... args) throws IOException {
            StringBuilder b = new StringBuilder("*").append(args.length).append("\r\n");
            for (String arg : args) {
                b.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(arg).append("\r\n");
            }
            out.write(b.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return read(in);
        }

        private static Object read(BufferedInputStream in) throws IOException {
            int type = in.read();
            String line = line(in);
            switch (type) {
                case '+':
                    return line;
                case '-':
                    throw new IOException("redis: " + line);
                case ':':
                    return Long.parseLong(line);
                case '$': {
                    int len = Integer.parseInt(line);
                    if (len < 0) {
                        return null;
                    }
                    byte[] bytes = in.readNBytes(len + 2);
                    return new String(bytes, 0, len, StandardCharsets.UTF_8);
                }
                case '*': {
                    int n = Integer.parseInt(line);
                    if (n < 0) {
                        return null;
                    }
                    List<Object> items = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        items.add(read(in));
                    }
                    return items;
                }
                default:
                    throw new IOException("redis: unexpected reply type " + type);
            }
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder b = new StringBuilder();
            for (int c = in.read(); c != '\r'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("redis: connection closed");
                }
                b.append((char) c);
            }
            in.read(); // \n
            return b.toString();
        }
    }

    /** Just enough JSON: objects (as maps), arrays, strings, numbers, booleans, null. */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        static Object parse(String text) {
            Json j = new Json(text);
            Object v = j.value();
            j.space();
            if (j.i != text.length()) {
                throw new IllegalArgumentException("trailing characters at " + j.i);
            }
            return v;
        }

        /** The value at a path of object keys and array indexes; null when any step is missing. */
        static Object at(Object v, Object... path) {
            for (Object step : path) {
                if (step instanceof String key && v instanceof Map<?, ?> m) {
                    v = m.get(key);
                } else if (step instanceof Integer index && v instanceof List<?> l && index < l.size()) {
                    v = l.get(index);
                } else {
                    return null;
                }
            }
            return v;
        }

        private void space() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private Object value() {
            space();
            char c = s.charAt(i);
            switch (c) {
                case '{': {
                    Map<String, Object> m = new LinkedHashMap<>();
                    i++;
                    space();
                    if (s.charAt(i) == '}') {
                        i++;
                        return m;
                    }
                    while (true) {
                        space();
                        String key = string();
                        space();
                        expect(':');
                        m.put(key, value());
                        space();
                        if (s.charAt(i) == ',') {
                            i++;
                        } else {
                            expect('}');
                            return m;
                        }
                    }
                }
                case '[': {
                    List<Object> l = new ArrayList<>();
                    i++;
                    space();
                    if (s.charAt(i) == ']') {
                        i++;
                        return l;
                    }
                    while (true) {
                        l.add(value());
                        space();
                        if (s.charAt(i) == ',') {
                            i++;
                        } else {
                            expect(']');
                            return l;
                        }
                    }
                }
                case '"':
                    return string();
                default:
                    if (s.startsWith("true", i)) {
                        i += 4;
                        return Boolean.TRUE;
                    }
                    if (s.startsWith("false", i)) {
                        i += 5;
                        return Boolean.FALSE;
                    }
                    if (s.startsWith("null", i)) {
                        i += 4;
                        return null;
                    }
                    int start = i;
                    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                        i++;
                    }
                    if (start == i) {
                        throw new IllegalArgumentException("unexpected '" + c + "' at " + i);
                    }
                    return Double.parseDouble(s.substring(start, i));
            }
        }

        private void expect(char c) {
            if (s.charAt(i) != c) {
                throw new IllegalArgumentException("expected '" + c + "' at " + i);
            }
            i++;
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> {
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> b.append(e);
                }
            }
        }
    }
}
