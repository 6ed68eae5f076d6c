package io.switchboard.worker.engine.openai;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.Locale;

import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.PemTrustOptions;

/**
 * TLS to an {@code https} upstream: whose certificates are trusted ({@code switchboard.worker.openai.trust-certificates}
 * or the JVM's default trust store), and which failures are the upstream's certificate being refused.
 */
final class UpstreamTls {
    private UpstreamTls() {
    }

    /**
     * Makes {@code options} trust only the certificates in {@code pemFiles} (an upstream behind a private CA: an in-house
     * ingress in front of vLLM); none leaves the JVM's default trust store (a public provider). Each file is read and
     * parsed here: one that cannot be, fails the start instead of every request.
     */
    static HttpClientOptions trust(HttpClientOptions options, List<String> pemFiles, Vertx vertx) {
        if (pemFiles.isEmpty()) {
            return options;
        }
        PemTrustOptions trust = new PemTrustOptions();
        for (String pem : pemFiles) {
            if (!Files.isReadable(Path.of(pem))) {
                throw new IllegalArgumentException("switchboard.worker.openai.trust-certificates: " + pem + " cannot be read");
            }
            trust.addCertPath(pem);
        }
        try {
            trust.getTrustManagerFactory(vertx);
        } catch (Exception e) {
            throw new IllegalArgumentException("switchboard.worker.openai.trust-certificates: " + pemFiles
                    + " holds no usable certificate: " + e.getMessage(), e);
        }
        return options.setTrustOptions(trust);
    }

    /**
     * Whether {@code cause} (or one of its causes) is the upstream's certificate refused during the handshake: not
     * trusted, or not for the address dialled. Other TLS failures (a plain-HTTP port, a connection closed mid-answer)
     * are not.
     */
    static boolean certificateRefused(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SSLPeerUnverifiedException || t instanceof CertificateException
                    || t instanceof CertPathValidatorException) {
                return true;
            }
            if (t instanceof SSLHandshakeException h && h.getMessage() != null
                    && h.getMessage().toLowerCase(Locale.ROOT).contains("certificate")) {
                return true;
            }
        }
        return false;
    }
}
