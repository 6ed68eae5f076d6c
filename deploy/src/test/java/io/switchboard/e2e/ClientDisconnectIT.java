package io.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.testing.Wait;

/** A streaming client that goes away: the gateway cancels, the worker stops the sequence and frees the slot. */
class ClientDisconnectIT {
    final Cluster cluster = Cluster.get();

    @Test
    void streamingClientThatDisconnectsFreesItsSlot() throws Exception {
        // twice: the first cancel a worker hears once took about a second (its consumer's commit lookup waited for
        // the poll in progress, FirstCancelTest), as long as the tiny model's 1,900 tokens take on a fast machine
        disconnectMidStream();
        Wait.until(Duration.ofSeconds(10), "the first round's slot freed", () -> busySlots() == 0);
        disconnectMidStream();
    }

    private void disconnectMidStream() throws Exception {
        String body = """
                {"model":"%s","messages":[{"role":"user","content":"A very long story"}],"max_tokens":1900,
                 "ignore_eos":true,"stream":true}""".formatted(cluster.modelId);
        long before = total("cancelled");
        try (Socket socket = new Socket("127.0.0.1", cluster.gateway.port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + Cluster.API_KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            String seen = "";
            byte[] buf = new byte[4096];
            while (!seen.contains("\"content\":\"") || countMatches(seen, "data: ") < 4) {
                int n = in.read(buf);
                assertThat(n).as("stream ended early: " + seen).isPositive();
                seen += new String(buf, 0, n, StandardCharsets.UTF_8);
            }
            assertThat(busySlots()).isEqualTo(1);
        } // the client goes away mid-stream

        // the sequence ends as cancelled (not by running its 1900 tokens to the end), and its slot is free again
        try {
            Wait.until(Duration.ofSeconds(10), "the sequence to be cancelled and its slot freed",
                    () -> busySlots() == 0 && total("cancelled") == before + 1);
        } catch (IllegalStateException e) {
            StringBuilder state = new StringBuilder();
            for (ServiceProcess w : cluster.workers) {
                state.append(cluster.workerStatus(w).get("slots")).append(' ');
            }
            for (String line : cluster.gateway.get("/q/metrics").body().split("\n")) {
                if (line.startsWith("switchboard_gateway_disconnects_total")) {
                    state.append(line).append(' ');
                }
            }
            throw new AssertionError(e.getMessage() + "; cancelled before: " + before + "; workers' slots, gateway's "
                    + "disconnects: " + state, e);
        }
        Wait.until(Duration.ofSeconds(10), "the router to free the slot",
                () -> cluster.routerWorkers().stream().allMatch(w -> w.get("freeSlots").asInt() == w.get("totalSlots").asInt()));
    }

    private int busySlots() throws Exception {
        int busy = 0;
        for (ServiceProcess w : cluster.workers) {
            JsonNode slots = cluster.workerStatus(w).get("slots");
            busy += slots.get("active").asInt();
        }
        return busy;
    }

    private long total(String counter) throws Exception {
        long n = 0;
        for (ServiceProcess w : cluster.workers) {
            n += cluster.workerStatus(w).get("slots").get(counter).asLong();
        }
        return n;
    }

    private static int countMatches(String s, String sub) {
        int count = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) {
            count++;
        }
        return count;
    }
}
