package io.switchboard.worker.engine.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.security.cert.CertificateException;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

import org.junit.jupiter.api.Test;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;

/** Which TLS failures are the upstream's certificate refused, and which are not (a TLS connection lost mid-answer). */
class UpstreamTlsTest {

    private static SSLHandshakeException handshake(String message, Throwable cause) {
        SSLHandshakeException e = new SSLHandshakeException(message);
        e.initCause(cause);
        return e;
    }

    @Test
    void anUntrustedChainOrAnotherHostsCertificateIsTheCertificateRefused() {
        assertThat(UpstreamTls.certificateRefused(new DecoderException(handshake("PKIX path building failed",
                new CertificateException("unable to find valid certification path"))))).isTrue();
        assertThat(UpstreamTls.certificateRefused(handshake("No subject alternative names matching IP address",
                new CertificateException("No subject alternative names")))).isTrue();
        assertThat(UpstreamTls.certificateRefused(new SSLPeerUnverifiedException("peer not verified"))).isTrue();
        assertThat(UpstreamTls.certificateRefused(handshake("Received fatal alert: bad_certificate", null))).isTrue();
    }

    @Test
    void otherTlsFailuresAreNot() {
        assertThat(UpstreamTls.certificateRefused(new DecoderException(new SSLException("Tag mismatch")))).isFalse();
        assertThat(UpstreamTls.certificateRefused(new NotSslRecordException("not an SSL/TLS record"))).isFalse();
        assertThat(UpstreamTls.certificateRefused(handshake("Received fatal alert: protocol_version", null))).isFalse();
        assertThat(UpstreamTls.certificateRefused(new IOException("Connection reset by peer"))).isFalse();
    }
}
