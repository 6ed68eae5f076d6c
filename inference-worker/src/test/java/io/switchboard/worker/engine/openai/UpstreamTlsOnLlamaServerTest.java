package io.switchboard.worker.engine.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.worker.Jobs;
import io.switchboard.worker.TestLlamaServer;
import io.switchboard.worker.TestVertx;
import io.switchboard.worker.engine.EngineException;
import io.switchboard.worker.engine.RecordingSink;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PfxOptions;

/**
 * An {@code https} upstream: llama-server behind a TLS endpoint of its own (what an ingress in front of vLLM, or a cloud
 * provider, is), with a certificate for {@code localhost} from a private CA. The worker streams from it when it trusts
 * that certificate, and fails the request at once, as the engine being unavailable, when it does not, or when the
 * certificate names another host.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpstreamTlsOnLlamaServerTest {
    private static final String PASSWORD = "changeit";

    @TempDir
    static Path dir;
    static TestLlamaServer server;
    static HttpServer tls;
    static HttpClient plain;
    /** The certificate the TLS endpoint presents (for localhost), and one it does not (an unrelated self-signed one). */
    static Path upstreamPem;
    static Path otherPem;

    @BeforeAll
    static void start() throws Exception {
        server = TestLlamaServer.start();
        Path keystore = dir.resolve("upstream.p12");
        keytool("-genkeypair", "-alias", "upstream", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost", "-validity", "2", "-keystore", keystore.toString(), "-storetype", "PKCS12",
                "-storepass", PASSWORD, "-keypass", PASSWORD);
        upstreamPem = dir.resolve("upstream.pem");
        keytool("-exportcert", "-rfc", "-alias", "upstream", "-keystore", keystore.toString(), "-storepass", PASSWORD,
                "-file", upstreamPem.toString());
        Path other = dir.resolve("other.p12");
        keytool("-genkeypair", "-alias", "other", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost", "-validity", "2", "-keystore", other.toString(), "-storetype", "PKCS12",
                "-storepass", PASSWORD, "-keypass", PASSWORD);
        otherPem = dir.resolve("other.pem");
        keytool("-exportcert", "-rfc", "-alias", "other", "-keystore", other.toString(), "-storepass", PASSWORD, "-file",
                otherPem.toString());

        // the TLS endpoint in front of llama-server
        // a connection per request: llama-server closes each one after a streamed answer
        plain = TestVertx.shared().createHttpClient(new HttpClientOptions().setKeepAlive(false));
        tls = TestVertx.shared().createHttpServer(new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(new PfxOptions().setPath(keystore.toString()).setPassword(PASSWORD)))
                .requestHandler(UpstreamTlsOnLlamaServerTest::passOn)
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Passes one request on to llama-server as it came, and streams its answer back as it comes. */
    private static void passOn(HttpServerRequest req) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(req.headers()).remove(HttpHeaders.HOST);
        Future<Buffer> body = req.body();
        body.compose(b -> plain.request(new RequestOptions().setMethod(req.method()).setHost("127.0.0.1")
                .setPort(server.port()).setURI(req.uri()).setHeaders(headers))
                .compose((HttpClientRequest up) -> up.send(b)))
                .onSuccess((HttpClientResponse answer) -> {
                    req.response().setStatusCode(answer.statusCode()).setChunked(true);
                    String type = answer.getHeader(HttpHeaders.CONTENT_TYPE);
                    if (type != null) {
                        req.response().putHeader(HttpHeaders.CONTENT_TYPE, type);
                    }
                    answer.pipeTo(req.response());
                })
                .onFailure(e -> req.response().setStatusCode(502).end());
    }

    @AfterAll
    static void stop() throws Exception {
        if (tls != null) {
            tls.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        if (plain != null) {
            plain.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static OpenAiSettings upstream(String host) {
        return Upstreams.llamaServer(URI.create("https://" + host + ":" + tls.actualPort() + "/v1"));
    }

    @Test
    void aTrustedHttpsUpstreamStreamsTheAnswerAndCountsAsUp() throws Exception {
        try (OpenAiEngine engine = Upstreams.engine(upstream("localhost")
                .withTrustCertificates(List.of(upstreamPem.toString())))) {
            RecordingSink sink = new RecordingSink();
            var g = engine.generate(Jobs.job("stories", 6, 0.0, List.of(), true), sink, () -> false);
            assertThat(g.completionTokens()).isEqualTo(6);
            assertThat(sink.text(0)).isNotEmpty();
            // the health checks go over TLS too, on a client of their own
            await().atMost(Duration.ofSeconds(10)).until(engine::upstreamUp);
        }
    }

    @Test
    void aCertificateNotFromTheTrustedOnesFailsTheRequestAsTheEngineUnavailable() {
        try (OpenAiEngine engine = Upstreams.engine(upstream("localhost")
                .withTrustCertificates(List.of(otherPem.toString())))) {
            assertRefusedForItsCertificate(engine);
        }
    }

    @Test
    void aPrivateCertificateIsRefusedByTheJvmsDefaultTrust() {
        try (OpenAiEngine engine = Upstreams.engine(upstream("localhost"))) {
            assertRefusedForItsCertificate(engine);
        }
    }

    @Test
    void aTrustedCertificateNotNamingTheAddressDialledIsRefused() {
        // the certificate names localhost only; the worker was told 127.0.0.1
        try (OpenAiEngine engine = Upstreams.engine(upstream("127.0.0.1")
                .withTrustCertificates(List.of(upstreamPem.toString())))) {
            assertRefusedForItsCertificate(engine);
        }
    }

    /** A request fails at once as the engine being unavailable, the message naming the certificate. */
    private static void assertRefusedForItsCertificate(OpenAiEngine engine) {
        assertThatThrownBy(() -> engine.generate(Jobs.job("stories", 4, 0.0, List.of(), true), new RecordingSink(),
                () -> false)).isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.code()).isEqualTo(FailureCode.ENGINE_UNAVAILABLE);
                    assertThat(e.getMessage()).contains("certificate");
                });
    }

    @Test
    void aTrustFileThatCannotBeReadFailsTheEnginesStart() {
        assertThatThrownBy(() -> Upstreams.engine(upstream("localhost")
                .withTrustCertificates(List.of(dir.resolve("missing.pem").toString()))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing.pem");
    }

    @Test
    void aTrustFileWithNoCertificateInItFailsTheEnginesStart() throws Exception {
        Path notPem = dir.resolve("not.pem");
        Files.writeString(notPem, "not a certificate\n");
        assertThatThrownBy(() -> Upstreams.engine(upstream("localhost")
                .withTrustCertificates(List.of(notPem.toString()))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not.pem");
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool")
                .toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + out);
        }
    }
}
