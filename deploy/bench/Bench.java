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
 *      [--duration-s 0] (each client sends requests for this long instead of --requests in all)
 *      [--fresh-connections false] (a new connection per request instead of keep-alive: some engines, llama-server
 *      among them, close idle keep-alive connections under a client's feet)
 */
public class Bench {
    record Result(double ttftMs, double totalMs, int tokens, String error) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new java.util.HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        String url = a.getOrDefault("url", "http://127.0.0.1:8080") + "/v1/chat/completions";
        String key = a.getOrDefault("key", "sk-switchboard-local");
        String model = a.getOrDefault("model", "stories260K");
        int concurrency = Integer.parseInt(a.getOrDefault("concurrency", "1"));
        int requests = Integer.parseInt(a.getOrDefault("requests", String.valueOf(concurrency * 8)));
        int maxTokens = Integer.parseInt(a.getOrDefault("max-tokens", "128"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "4"));
        String label = a.getOrDefault("label", "c=" + concurrency);
        long pauseMs = Long.parseLong(a.getOrDefault("pause-ms", "0"));
        // with --duration-s, each client sends requests until then, however many that is
        long durationNanos = (long) (Double.parseDouble(a.getOrDefault("duration-s", "0")) * 1e9);

        boolean fresh = Boolean.parseBoolean(a.getOrDefault("fresh-connections", "false"));
        HttpClient shared = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        java.util.function.Supplier<HttpClient> clients = fresh
                ? () -> HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build()
                : () -> shared;
        for (int i = 0; i < warmup; i++) {
            one(clients.get(), url, key, model, maxTokens, i);
        }
        ConcurrentLinkedQueue<Result> results = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(concurrency);
        long start = System.nanoTime();
        for (int c = 0; c < concurrency; c++) {
            int client = c;
            Thread.ofPlatform().start(() -> {
                try {
                    long until = System.nanoTime() + durationNanos;
                    for (int r = client; durationNanos > 0 ? System.nanoTime() < until : r < requests; r += concurrency) {
                        results.add(one(clients.get(), url, key, model, maxTokens, r));
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
        System.out.printf("%-28s requests=%d errors=%d ttft_ms p50=%.2f p90=%.2f p99=%.2f max=%.2f | per-stream tok/s p50=%.0f | aggregate tok/s=%.0f (%d tokens in %.2f s)%n",
                label, results.size(), results.size() - ok.size(), pct(ttft, 50), pct(ttft, 90), pct(ttft, 99),
                ttft.isEmpty() ? Double.NaN : ttft.get(ttft.size() - 1), pct(rate, 50), tokens / wallS, tokens, wallS);
        results.stream().filter(r -> r.error() != null).limit(3).forEach(r -> System.out.println("  error: " + r.error()));
        System.exit(ok.size() == results.size() ? 0 : 1);
    }

    static final Pattern USAGE = Pattern.compile("\"completion_tokens\":(\\d+)");

    static Result one(HttpClient http, String url, String key, String model, int maxTokens, int seed) {
        String body = "{\"model\":\"" + model + "\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"max_tokens\":" + maxTokens + ",\"ignore_eos\":true,\"seed\":" + seed
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story about request " + seed + "\"}]}";
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long t0 = System.nanoTime();
        try {
            HttpResponse<java.util.stream.Stream<String>> resp = http.send(req, HttpResponse.BodyHandlers.ofLines());
            if (resp.statusCode() != 200) {
                return new Result(0, 0, 0, "HTTP " + resp.statusCode() + " " + String.join("", resp.body().toList()));
            }
            double ttft = -1;
            int tokens = 0;
            boolean doneSeen = false;
            String error = null;
            for (String line : (Iterable<String>) resp.body()::iterator) {
                if (!line.startsWith("data: ")) {
                    continue;
                }
                if (line.equals("data: [DONE]")) {
                    doneSeen = true;
                    break;
                }
                if (ttft < 0 && line.contains("\"delta\":{\"content\":")) {
                    ttft = (System.nanoTime() - t0) / 1e6;
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
                return new Result(0, 0, 0, error != null ? error : "stream ended without " + (doneSeen ? "content" : "[DONE]"));
            }
            return new Result(ttft, total, tokens, null);
        } catch (Exception e) {
            return new Result(0, 0, 0, e.toString());
        }
    }

    static double pct(List<Double> sorted, int p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
