package io.switchboard.worker.engine.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.switchboard.worker.TestVertx;
import io.vertx.core.Context;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * A kept-alive connection to the upstream outlives the exchange that used it: an abort that comes after the answer
 * ended (a cancel seen late, a job's {@code close()}) must leave it to the next request, which may already be another
 * job's. The upstream notes the client port of every request; one pooled connection at most.
 */
class UpstreamConnectionReuseTest {
    private static final byte[] BODY = "{}".getBytes(StandardCharsets.UTF_8);

    private FakeUpstream upstream;
    private HttpClient client;
    private final List<Integer> clientPorts = Collections.synchronizedList(new ArrayList<>());
    /** Lets an answer the test holds open end (at the latest when the test ends). */
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeUpstream();
        upstream.chat = ex -> {
            clientPorts.add(ex.getRemoteAddress().getPort());
            FakeUpstream.status(ex, 200, "{\"ok\":true}");
        };
        client = TestVertx.shared().createHttpClient(new HttpClientOptions().setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(1));
    }

    @AfterEach
    void stop() {
        release.countDown();
        client.close();
        upstream.close();
    }

    private RequestOptions chat() {
        return new RequestOptions().setMethod(HttpMethod.POST)
                .setAbsoluteURI(upstream.baseUrl().toString() + "/chat/completions");
    }

    /** Reads the exchange to its end. */
    private static void readToEnd(UpstreamExchange exchange) {
        List<UpstreamExchange.Item> items = new ArrayList<>();
        UpstreamExchange.Item item;
        do {
            item = exchange.next(Duration.ofSeconds(10), () -> false);
            items.add(item);
        } while (!(item instanceof UpstreamExchange.End) && !(item instanceof UpstreamExchange.Failed)
                && !(item instanceof UpstreamExchange.TimedOut));
        assertThat(items).first().isEqualTo(new UpstreamExchange.Status(200));
        assertThat(item).isInstanceOf(UpstreamExchange.End.class);
    }

    @Test
    void anAbortAfterTheAnswerEndedLeavesItsConnectionToTheNextRequest() {
        Context context = TestVertx.shared().getOrCreateContext();
        UpstreamExchange first = UpstreamExchange.send(client, chat(), BODY, null, context);
        readToEnd(first);
        first.abort();
        // sent from the same context after the abort's own step there: it finds whatever the abort left
        UpstreamExchange second = UpstreamExchange.send(client, chat(), BODY, null, context);
        readToEnd(second);
        assertThat(clientPorts).hasSize(2);
        assertThat(clientPorts.get(1)).as("the second request's connection").isEqualTo(clientPorts.get(0));
    }

    @Test
    void anAbortBeforeTheAnswerEndedClosesTheConnection() {
        upstream.chat = ex -> {
            clientPorts.add(ex.getRemoteAddress().getPort());
            OutputStream out = FakeUpstream.startStream(ex);
            out.write("data: {}\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            release.await(); // the answer goes on until the test ends
        };
        Context context = TestVertx.shared().getOrCreateContext();
        UpstreamExchange first = UpstreamExchange.send(client, chat(), BODY, null, context);
        assertThat(first.next(Duration.ofSeconds(10), () -> false)).isEqualTo(new UpstreamExchange.Status(200));
        assertThat(first.next(Duration.ofSeconds(10), () -> false)).isEqualTo(new UpstreamExchange.Line("data: {}"));
        upstream.chat = ex -> {
            clientPorts.add(ex.getRemoteAddress().getPort());
            FakeUpstream.status(ex, 200, "{\"ok\":true}");
        };
        first.abort();
        // the first answer is still open: with one connection at most, the second request is answered only if the
        // abort closed the first one's (else it waits for it and times out)
        UpstreamExchange second = UpstreamExchange.send(client, chat(), BODY, null, context);
        assertThat(second.next(Duration.ofSeconds(10), () -> false)).as("the second request's answer")
                .isEqualTo(new UpstreamExchange.Status(200));
        assertThat(clientPorts).hasSize(2);
        assertThat(clientPorts.get(1)).as("the second request's connection").isNotEqualTo(clientPorts.get(0));
    }
}
