import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Where the time to first token goes, hop by hop, read off the platform's own timestamps: the job's
 * Kafka record time (gateway publishes), the worker's reply in the routers' inbox stream (the router read the job,
 * placed it, and the worker accepted it), the first token's Redis entry id (worker writes) and the client's clock. Run against a platform started by
 * deploy/local/run.sh with the simulated engine at a 0 ms time to first token, with the Kafka broker
 * on the class path:
 *
 * java -cp "$(cat deploy/kafka/target/classpath.txt)" deploy/bench/Hops.java GATEWAY_URL KAFKA REDIS_PORT [requests]
 *
 * {@code -Dmodel=NAME} asks another model than {@code simulated} (a stack on an engine: its token hop then includes
 * the engine's own time to first token); {@code -Dprompt=TEXT} and {@code -Dmax_tokens=N} (default "x" and 1) change
 * the request.
 */
public class Hops {
    public static void main(String[] a) throws Exception {
        String url = a[0] + "/v1/chat/completions";
        String kafka = a[1];
        int redisPort = Integer.parseInt(a[2]);
        int requests = a.length > 3 ? Integer.parseInt(a[3]) : 100;
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<String> ids = new ArrayList<>();
        List<long[]> client = new ArrayList<>();
        for (int i = 0; i < requests + 20; i++) {
            String body = "{\"model\":\"" + System.getProperty("model", "simulated") + "\",\"max_tokens\":"
                    + System.getProperty("max_tokens", "1") + ",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\""
                    + System.getProperty("prompt", "x") + "\"}]}";
            long sent = System.currentTimeMillis();
            HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url))
                    .header("Authorization", "Bearer sk-switchboard-local").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            String id = null;
            long first = 0;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body()))) {
                for (String line; (line = in.readLine()) != null;) {
                    if (id == null && line.startsWith("data: {")) {
                        id = line.replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");
                    }
                    if (first == 0 && line.contains("\"delta\":{\"content\"")) {
                        first = System.currentTimeMillis();
                    }
                }
            }
            if (i >= 20) { // the first 20 warm the JIT
                ids.add(id);
                client.add(new long[] { sent, first });
            }
            Thread.sleep(10);
        }
        Map<String, Long> published = new HashMap<>();
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka);
        p.put("group.id", "hops-" + UUID.randomUUID());
        p.put("auto.offset.reset", "earliest");
        try (var c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            c.subscribe(List.of("switchboard.jobs.v1"));
            long end = System.currentTimeMillis() + 5000;
            while (System.currentTimeMillis() < end) {
                c.poll(Duration.ofMillis(200)).forEach(rec -> published.put(rec.key(), rec.timestamp()));
            }
        }
        // when each job's worker accepted it: the worker's reply in the routers' inbox stream (entry id = its time)
        Map<String, Long> assigned = new HashMap<>();
        String entry = null;
        for (String line : redis(redisPort, "XRANGE", "switchboard:router:inbox", "-", "+").split("\n")) {
            String t = line.trim();
            if (t.matches("\\d+-\\d+")) {
                entry = t;
            } else if (entry != null && t.contains("\"verdict\":\"ACCEPTED\"")) {
                String id = t.replaceAll(".*\"jobId\":\"([^\"]+)\".*", "$1");
                assigned.putIfAbsent(id, Long.parseLong(entry.substring(0, entry.indexOf('-'))));
            }
        }
        List<long[]> hops = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            String first0 = redis(redisPort, "XRANGE", "switchboard:job:{" + id + "}:events", "-", "+", "COUNT", "1").split("\n")[0].trim();
            if (!published.containsKey(id) || !assigned.containsKey(id) || !first0.contains("-")) {
                continue;
            }
            long token = Long.parseLong(first0.substring(0, first0.indexOf('-')));
            long sent = client.get(i)[0];
            long first = client.get(i)[1];
            hops.add(new long[] { published.get(id) - sent, assigned.get(id) - published.get(id), token - assigned.get(id),
                    first - token, first - sent });
        }
        String[] names = { "client -> gateway publishes job", "job on Kafka -> worker accepts it", "accepted -> worker writes token",
                "token in Redis -> client reads it", "time to first token" };
        System.out.printf("%d requests (ms, wall clock; Kafka and Redis timestamps have 1 ms resolution)%n", hops.size());
        if (hops.isEmpty()) {
            throw new IllegalStateException("no request could be followed hop by hop (published " + published.size()
                    + ", accepted " + assigned.size() + ")");
        }
        for (int k = 0; k < names.length; k++) {
            int kk = k;
            long[] col = hops.stream().mapToLong(h -> h[kk]).sorted().toArray();
            System.out.printf("  %-36s p50=%3d  p90=%3d  p99=%3d%n", names[k], col[col.length / 2], col[col.length * 9 / 10],
                    col[Math.min(col.length - 1, col.length * 99 / 100)]);
        }
    }

    static String redis(int port, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-p", String.valueOf(port)));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }
}
