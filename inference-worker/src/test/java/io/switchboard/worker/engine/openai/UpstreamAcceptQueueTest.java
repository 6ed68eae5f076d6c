package io.switchboard.worker.engine.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.switchboard.worker.Jobs;
import io.switchboard.worker.TestVertx;
import io.switchboard.worker.engine.RecordingSink;

/**
 * An upstream on this machine whose accept queue is full when a request comes (llama-server listens with a backlog of
 * 5, and its answers end together, so the next requests connect together): the kernel drops the SYN and would send it
 * again only after a second. The worker connects again instead, a moment later. The upstream here is the usual test
 * double behind a listening socket with a backlog of 1 that accepts only when the test lets it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UpstreamAcceptQueueTest {
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<Socket> sockets = java.util.Collections.synchronizedList(new ArrayList<>());
    /** One permit per connection the gate may accept. */
    private final Semaphore accepts = new Semaphore(0);
    private FakeUpstream upstream;
    private ServerSocket gate;

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeUpstream();
        upstream.chat = FakeUpstream.sse(FakeUpstream.chunk(0, "{\"content\":\"Once\"}", "stop"),
                FakeUpstream.usage(3, 1), "[DONE]");
        gate = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::acceptWhenLetThrough);
    }

    @AfterEach
    void stop() throws Exception {
        accepts.release(1000);
        gate.close();
        synchronized (sockets) {
            for (Socket s : sockets) {
                s.close();
            }
        }
        upstream.close();
    }

    /** Accepts a connection per permit and relays it, both ways, to the test double. */
    private void acceptWhenLetThrough() {
        try {
            while (true) {
                accepts.acquire();
                Socket in = gate.accept();
                Socket out = new Socket(InetAddress.getLoopbackAddress(), upstream.baseUrl().getPort());
                sockets.add(in);
                sockets.add(out);
                Thread.ofVirtual().start(() -> pipe(in, out));
                Thread.ofVirtual().start(() -> pipe(out, in));
            }
        } catch (InterruptedException | IOException closed) {
            // the test ended
        }
    }

    private static void pipe(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException closed) {
            // either side closed
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    /** Connects idle clients until the gate's accept queue is full: the next SYN is dropped. */
    private void fillTheAcceptQueue() throws IOException {
        for (int i = 0; i < 16; i++) {
            Socket filler = new Socket();
            sockets.add(filler);
            try {
                filler.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gate.getLocalPort()), 300);
            } catch (SocketTimeoutException full) {
                return;
            }
        }
        throw new IllegalStateException("the accept queue never filled");
    }

    @Test
    void aConnectDroppedByAFullAcceptQueueIsTriedAgainBeforeTheKernelWouldRetry() throws Exception {
        URI base = URI.create("http://127.0.0.1:" + gate.getLocalPort() + "/v1");
        accepts.release(); // the engine's first health check (no metrics are read)
        try (OpenAiEngine engine = new OpenAiEngine("openai", "m", OpenAiSettings.of(base, "m", Flavor.VLLM)
                .withEndpoints(null, null, true).withHealthInterval(Duration.ofHours(1)),
                new UpstreamMetrics(meters, "openai"),
                ToolCallIds.from(new Random(1)), TestVertx.shared())) {
            await().atMost(Duration.ofSeconds(10)).until(engine::upstreamUp);
            fillTheAcceptQueue();
            // the queue drains once the worker's first connect has given up
            Thread.ofVirtual().start(() -> {
                await().atMost(Duration.ofSeconds(10)).until(() -> retriedConnects() >= 1);
                accepts.release(1000);
            });
            RecordingSink sink = new RecordingSink();
            long started = System.nanoTime();

            var generation = engine.generate(Jobs.job("m", 4, 0.0, List.of(), true), sink, () -> false);

            long tookMs = (System.nanoTime() - started) / 1_000_000;
            assertThat(sink.text(0)).isEqualTo("Once");
            assertThat(generation.completionTokens()).isEqualTo(1);
            assertThat(retriedConnects()).isGreaterThanOrEqualTo(1.0);
            // the kernel's own retry of a dropped SYN comes a second after it
            assertThat(tookMs).as("time to the answer, ms").isLessThan(1000);
        }
    }

    private double retriedConnects() {
        return meters.get("switchboard.engine.upstream.retried_connects").counter().count();
    }

    @Test
    void aRemoteUpstreamIsNotALoopbackOne() {
        assertThat(OpenAiEngine.loopback("127.0.0.1")).isTrue();
        assertThat(OpenAiEngine.loopback("127.1.2.3")).isTrue();
        assertThat(OpenAiEngine.loopback("localhost")).isTrue();
        assertThat(OpenAiEngine.loopback("[::1]")).isTrue();
        assertThat(OpenAiEngine.loopback("[0:0:0:0:0:0:0:1]")).isTrue();
        assertThat(OpenAiEngine.loopback("localhost.")).isTrue();
        assertThat(OpenAiEngine.loopback("llama.localhost")).isTrue();
        assertThat(OpenAiEngine.loopback("127.example.com")).isFalse();
        assertThat(OpenAiEngine.loopback("api.openai.com")).isFalse();
        assertThat(OpenAiEngine.loopback("10.0.0.7")).isFalse();
        assertThat(OpenAiEngine.loopback("vllm")).isFalse();
    }
}
