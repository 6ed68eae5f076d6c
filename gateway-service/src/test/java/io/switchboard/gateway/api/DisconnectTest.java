package io.switchboard.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.switchboard.schema.event.CancelJob;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.Usage;
import io.switchboard.schema.wire.RedisKeys;
import io.switchboard.schema.wire.Topics;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.KafkaTestClient;
import io.switchboard.testing.Wait;

/**
 * What a client going away means for its job (the rule is in {@code StreamRelay}): a client that closes its
 * connection (FIN, or RST because it left bytes unread) gets the job cancelled at once, and claimed abandoned when
 * nothing had come yet; a client that stops reading is cut off after the slow-client timeout without a cancel, so it
 * can resume. While a stream is relayed its reader key stays present; after it, the key lapses within the grace
 * (1.5 s in the tests).
 */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
class DisconnectTest {
    static final Duration GRACE = Duration.ofMillis(1500);

    @TestHTTPResource("/v1/chat/completions")
    URI endpoint;
    @Inject
    RedisDataSource redis;

    /** A streaming request on a raw socket, so the test decides how the connection ends. */
    final class RawStream implements AutoCloseable {
        final Socket socket = new Socket();
        final String marker = "marker-" + UUID.randomUUID();
        final StringBuilder seen = new StringBuilder();

        RawStream(int receiveBuffer) throws IOException {
            if (receiveBuffer > 0) {
                socket.setReceiveBufferSize(receiveBuffer);
            }
            socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()));
            String body = "{\"model\":\"test-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + marker + "\"}]}";
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer sk-test\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
        }

        /** Reads until {@code text} has arrived. */
        void readUntil(String text) throws IOException {
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[8192];
            socket.setSoTimeout(10_000);
            while (!seen.toString().contains(text)) {
                int n = in.read(buf);
                assertThat(n).as("stream ended before " + text + ": " + seen).isPositive();
                seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
        }

        /** Reads and drops everything until the gateway closes the connection; returns the tail read. */
        String readToEnd(Duration timeout) throws IOException {
            InputStream in = socket.getInputStream();
            socket.setSoTimeout((int) timeout.toMillis());
            byte[] buf = new byte[1 << 16];
            StringBuilder tail = new StringBuilder();
            for (int n; (n = in.read(buf)) > 0;) {
                tail.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                if (tail.length() > 4096) {
                    tail.delete(0, tail.length() - 4096);
                }
            }
            return tail.toString();
        }

        /** Closes with a RST rather than a FIN, as a close with unread bytes does. */
        void reset() throws IOException {
            socket.setSoLinger(true, 0);
            socket.close();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    InferenceJob publishedJob(String marker) {
        return new GatewayHarness(endpoint, redis).publishedJob(marker);
    }

    void write(InferenceJob job, TokenEvent... events) {
        new GatewayHarness(endpoint, redis).write(job.jobId(), events);
    }

    String owner(InferenceJob job) {
        return redis.value(String.class).get(RedisKeys.jobOwner(job.jobId()));
    }

    boolean readerPresent(InferenceJob job) {
        return redis.key().exists(RedisKeys.jobReader(job.jobId()));
    }

    static CancelJob cancelOf(InferenceJob job) {
        return KafkaTestClient.await(Topics.CANCELS, CancelJob.class, c -> c.jobId().equals(job.jobId()), Duration.ofSeconds(10));
    }

    @Test
    void aClientThatLeavesBeforeTheJobProducedAnythingGetsItCancelledAndClaimedAbandoned() throws Exception {
        InferenceJob job;
        try (RawStream stream = new RawStream(0)) {
            job = publishedJob(stream.marker);
        } // nothing was sent to the client: a clean close (FIN)

        assertThat(cancelOf(job).reason()).isEqualTo("client_disconnected");
        Wait.until(Duration.ofSeconds(5), "the abandoned claim", () -> "~abandoned:client_gone".equals(owner(job)));
    }

    @Test
    void aClientThatClosesMidStreamGetsItsJobCancelledAtOnceAndNotClaimed() throws Exception {
        InferenceJob job;
        try (RawStream stream = new RawStream(0)) {
            job = publishedJob(stream.marker);
            write(job, TokenEvent.Delta.of("first"));
            stream.readUntil("\"first\"}");
            stream.readUntil("\n\n");
        }

        assertThat(cancelOf(job).reason()).isEqualTo("client_disconnected");
        assertThat(owner(job)).isNull();
    }

    @Test
    void aClientThatResetsMidStreamIsTreatedAsAClose() throws Exception {
        InferenceJob job;
        try (RawStream stream = new RawStream(0)) {
            job = publishedJob(stream.marker);
            write(job, TokenEvent.Delta.of("first"));
            stream.readUntil("\"first\"}");
            write(job, TokenEvent.Delta.of("unread")); // what an SDK abort leaves unread makes the close a RST
            stream.reset();
        }

        assertThat(cancelOf(job).reason()).isEqualTo("client_disconnected");
    }

    @Test
    void aResetTheGatewayReadsWhileWaitingForTokensIsTreatedAsAClose() throws Exception {
        InferenceJob job;
        try (RawStream stream = new RawStream(0)) {
            job = publishedJob(stream.marker);
            write(job, TokenEvent.Delta.of("first"));
            stream.readUntil("\"first\"}");
            stream.reset(); // no write of the gateway's is under way: its read of the socket meets the RST
        }

        assertThat(cancelOf(job).reason()).isEqualTo("client_disconnected");
    }

    @Test
    void whileAStreamIsRelayedItsReaderKeyStaysPresentAndAfterItTheKeyLapses() throws Exception {
        InferenceJob job;
        try (RawStream stream = new RawStream(0)) {
            job = publishedJob(stream.marker);
            assertThat(readerPresent(job)).as("set at publish, before any worker sees the job").isTrue();
            write(job, TokenEvent.Delta.of("first"));
            stream.readUntil("\"first\"}");
            // twice the grace (within the tests' 4 s request timeout): refreshed all along
            long until = System.nanoTime() + GRACE.multipliedBy(2).toNanos();
            while (System.nanoTime() < until) {
                assertThat(readerPresent(job)).isTrue();
                Thread.sleep(100);
            }
            write(job, TokenEvent.Finish.of("stop", Usage.of(1, 1)));
            stream.readUntil("[DONE]");
        }
        Wait.until(GRACE.multipliedBy(3), "the reader key to lapse", () -> !readerPresent(job));
    }

    @Test
    void aClientThatStopsReadingIsCutOffAfterTheSlowClientTimeoutWithoutCancellingItsJob() throws Exception {
        String slowEnded = "switchboard_gateway_slow_clients_ended_total";
        double before = Metrics.value(slowEnded);
        InferenceJob job;
        try (RawStream stream = new RawStream(4096)) {
            job = publishedJob(stream.marker);
            // far more than the socket buffers and the write queue hold
            String text = "x".repeat(4096);
            TokenEvent[] deltas = new TokenEvent[2000];
            for (int i = 0; i < deltas.length; i++) {
                deltas[i] = TokenEvent.Delta.of(text);
            }
            write(job, deltas);
            Wait.until(Duration.ofSeconds(10), "the slow client to be cut off", () -> Metrics.value(slowEnded) > before);
            stream.readToEnd(Duration.ofSeconds(20)); // the gateway closed the connection: the read ends
        }

        assertThat(KafkaTestClient.all(Topics.CANCELS, CancelJob.class, c -> c.jobId().equals(job.jobId()),
                Duration.ofSeconds(2))).isEmpty();
        Wait.until(GRACE.multipliedBy(3), "the reader key to lapse (the worker cancels then)", () -> !readerPresent(job));
    }
}
