import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the time to first token goes, hop by hop, to the microsecond: read off a packet capture of the loopback
 * interface (tcpdump -w) taken while streaming requests were sent one at a time to a local stack on the simulated
 * engine. Every hop is a packet on the wire: the request reaching the gateway, the gateway's first Redis write (the
 * job's meta), its Kafka produce, the broker's ack, the broker handing the job to the router, the router's assignment
 * in the worker's inbox, Redis handing it to the worker, the worker's claim and its answer, the worker's first token,
 * Redis handing that token to the gateway, and the gateway writing it to the client. The client's own time is not in
 * it: only what the services and the broker take between packets. deploy/bench/wire-hops.sh takes the capture.
 *
 * java deploy/bench/WireHops.java CAPTURE.pcap GATEWAY_PORT KAFKA_PORT REDIS_PORT [SKIP (0): the first requests, a
 *      client's warm-up, left out] [UPSTREAM_PORT: a stack whose worker drives an engine over HTTP (llama-server)]
 *
 * With an upstream port (the capture then holds its traffic too), the worker's hop to its first token is split in
 * three: the worker sends the request upstream, the upstream sends its first token, the worker writes it to Redis.
 *
 * A request is followed from its POST to the next one, by the job id of the meta the gateway writes for it; one whose
 * packets are not all found (a payload split across segments, a capture that began or ended inside it) is left out,
 * and counted by the first hop missing.
 */
public class WireHops {
    record Packet(long micros, int src, int dst, String payload) {
    }

    static final Pattern META = Pattern.compile("\\{(chatcmpl-[0-9a-f]{32})\\}:meta");
    static final Pattern CONTENT = Pattern.compile("\"content\":\"[^\"]");

    public static void main(String[] a) throws IOException {
        List<Packet> packets = read(a[0]);
        int gateway = Integer.parseInt(a[1]);
        int kafka = Integer.parseInt(a[2]);
        int redis = Integer.parseInt(a[3]);
        int skip = a.length > 4 ? Integer.parseInt(a[4]) : 0;
        int upstream = a.length > 5 ? Integer.parseInt(a[5]) : -1;
        // the chain to the first token, each hop from the one before; then two hops beside it (not on its path)
        List<String> chain = new ArrayList<>(List.of("request -> gateway sends the job to Kafka",
                "-> broker hands the job to the router", "-> router's assignment in Redis",
                "-> Redis hands it to the worker", "-> worker sends its claim", "-> Redis answers the claim"));
        if (upstream > 0) {
            chain.addAll(List.of("-> worker sends the request upstream", "-> upstream sends its first token"));
        }
        chain.addAll(List.of("-> worker writes the first token", "-> Redis hands it to the gateway",
                "-> gateway writes it to the client", "time to first token, on the wire",
                "beside: request -> gateway writes the job's meta", "beside: job sent -> broker acks it"));
        String[] names = chain.toArray(String[]::new);
        List<long[]> rows = new ArrayList<>();
        List<Integer> posts = new ArrayList<>();
        for (int i = 0; i < packets.size(); i++) {
            Packet p = packets.get(i);
            if (p.dst() == gateway && p.payload().startsWith("POST ") && p.payload().contains("/chat/completions")) {
                posts.add(i);
            }
        }
        int skipped = 0;
        int[] missing = new int[names.length];
        for (int k = skip; k < posts.size(); k++) {
            List<Packet> seg = packets.subList(posts.get(k), k + 1 < posts.size() ? posts.get(k + 1) : packets.size());
            // the request's job: the one whose meta the gateway writes (the previous job's tail work may come first)
            int meta = first(seg, 0, p -> p.dst() == redis && META.matcher(p.payload()).find());
            if (meta < 0) {
                skipped++;
                missing[names.length - 2]++;
                continue;
            }
            Matcher jobMeta = META.matcher(seg.get(meta).payload());
            jobMeta.find();
            String id = jobMeta.group(1);
            // each step of the chain: the first packet after the step before it; the two beside it are looked for
            // apart (the meta write may come after the produce, the produce's ack after the router's fetch)
            int[] found = new int[names.length - 3];
            List<Predicate<Packet>> step = new ArrayList<>(List.of(
                    p -> p.dst() == kafka && p.payload().contains(id),
                    p -> p.src() == kafka && p.dst() != seg.get(found[0]).src() && p.payload().contains(id),
                    p -> p.dst() == redis && p.payload().contains(id) && p.payload().contains(":assignments")
                            && p.payload().toLowerCase(java.util.Locale.ROOT).contains("xadd"),
                    p -> p.src() == redis && p.payload().contains(id) && p.payload().contains(":assignments"),
                    p -> p.dst() == redis && p.payload().contains("{" + id + "}:owner"),
                    p -> p.src() == redis && p.dst() == seg.get(found[4]).src())); // the claim's answer
            if (upstream > 0) {
                step.add(p -> p.dst() == upstream && p.payload().startsWith("POST "));
                step.add(p -> p.src() == upstream && CONTENT.matcher(p.payload()).find());
            }
            step.addAll(List.of(
                    p -> p.dst() == redis && p.payload().contains(id) && p.payload().contains("\"type\":\"delta\""),
                    p -> p.src() == redis && p.payload().contains("{" + id + "}:events")
                            && p.payload().contains("\"type\":\"delta\""),
                    p -> p.src() == gateway && CONTENT.matcher(p.payload()).find()));
            boolean complete = true;
            for (int s = 0; s < step.size(); s++) {
                found[s] = first(seg, s == 0 ? 0 : found[s - 1], step.get(s));
                if (found[s] < 0) {
                    complete = false;
                    missing[s]++;
                    break;
                }
            }
            int ack = complete ? first(seg, found[0], p -> p.src() == kafka && p.dst() == seg.get(found[0]).src()) : -1;
            if (!complete || ack < 0) {
                skipped++;
                if (complete) {
                    missing[names.length - 1]++;
                }
                continue;
            }
            long t0 = seg.get(0).micros();
            long[] row = new long[names.length];
            for (int s = 0; s < step.size(); s++) {
                row[s] = seg.get(found[s]).micros() - (s == 0 ? t0 : seg.get(found[s - 1]).micros());
            }
            row[step.size()] = seg.get(found[step.size() - 1]).micros() - t0;
            row[step.size() + 1] = seg.get(meta).micros() - t0;
            row[step.size() + 2] = seg.get(ack).micros() - seg.get(found[0]).micros();
            rows.add(row);
        }
        StringBuilder why = new StringBuilder();
        for (int s = 0; s < names.length; s++) {
            if (missing[s] > 0) { // the chain's hops, then no meta (the job not found), then no ack
                why.append(why.isEmpty() ? ": " : ", ").append(missing[s]).append(" without '")
                        .append(names[s].replace("beside: ", "").replace("-> ", "")).append('\'');
            }
        }
        System.out.printf("%d requests followed on the wire (%d left out%s); microseconds between packets%n", rows.size(),
                skipped, why);
        if (rows.isEmpty()) {
            throw new IllegalStateException("no request could be followed hop by hop");
        }
        for (int s = 0; s < names.length; s++) {
            int col = s;
            long[] v = rows.stream().mapToLong(r -> r[col]).sorted().toArray();
            double mean = Arrays.stream(v).average().orElse(0);
            System.out.printf("  %-48s p50=%6d  p90=%6d  mean=%8.0f%n", names[s], v[v.length / 2], v[v.length * 9 / 10], mean);
        }
    }

    /** The index of the first packet of seg from {@code from} on that matches, -1 if none. */
    static int first(List<Packet> seg, int from, Predicate<Packet> match) {
        for (int i = from; i < seg.size(); i++) {
            if (match.test(seg.get(i))) {
                return i;
            }
        }
        return -1;
    }

    /** The TCP packets with a payload of a pcap file (Ethernet, Linux cooked v1 or v2 link layers; IPv4). */
    static List<Packet> read(String file) throws IOException {
        List<Packet> out = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(new FileInputStream(file), 1 << 20))) {
            byte[] global = in.readNBytes(24);
            ByteBuffer g = ByteBuffer.wrap(global).order(ByteOrder.LITTLE_ENDIAN);
            int magic = g.getInt(0);
            ByteOrder order = ByteOrder.LITTLE_ENDIAN;
            if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
                order = ByteOrder.BIG_ENDIAN;
                g.order(order);
                magic = g.getInt(0);
            }
            boolean nanos = magic == 0xa1b23c4d;
            if (magic != 0xa1b2c3d4 && !nanos) {
                throw new IOException("not a pcap file: " + file);
            }
            int link = g.getInt(20);
            int linkHeader = switch (link) {
                case 1 -> 14; // Ethernet
                case 113 -> 16; // Linux cooked capture v1
                case 276 -> 20; // Linux cooked capture v2
                default -> throw new IOException("link type " + link + " not supported");
            };
            byte[] head = new byte[16];
            while (true) {
                try {
                    in.readFully(head);
                } catch (EOFException end) {
                    break;
                }
                ByteBuffer h = ByteBuffer.wrap(head).order(order);
                long micros = h.getInt(0) * 1_000_000L + (nanos ? h.getInt(4) / 1000 : h.getInt(4));
                byte[] data = in.readNBytes(h.getInt(8));
                if (data.length < linkHeader + 20) {
                    continue;
                }
                int ip = linkHeader;
                if ((data[ip] >> 4) != 4 || data[ip + 9] != 6) {
                    continue; // IPv4 TCP only
                }
                int tcp = ip + (data[ip] & 0x0f) * 4;
                if (data.length < tcp + 20) {
                    continue;
                }
                int src = ((data[tcp] & 0xff) << 8) | (data[tcp + 1] & 0xff);
                int dst = ((data[tcp + 2] & 0xff) << 8) | (data[tcp + 3] & 0xff);
                int payload = tcp + ((data[tcp + 12] >> 4) & 0x0f) * 4;
                if (payload < data.length) {
                    out.add(new Packet(micros, src, dst, new String(data, payload, data.length - payload, StandardCharsets.ISO_8859_1)));
                }
            }
        }
        return out;
    }
}
