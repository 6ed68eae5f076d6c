package io.switchboard.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;

import org.junit.jupiter.api.Test;

import io.vertx.core.http.HttpClosedException;

/**
 * The rule that decides whether a client that went away cancels its job: whatever the client's host did (FIN, RST)
 * is deliberate; a connection that failed without its say is broken (the job is left to the resume grace).
 */
class DisconnectRuleTest {

    @Test
    void whatTheClientsHostDidIsDeliberate() {
        assertThat(StreamRelay.brokenBy(new IOException("Connection reset by peer"))).isFalse();
        assertThat(StreamRelay.brokenBy(new IOException("readAddress(..) failed: Connection reset by peer"))).isFalse();
        // a RST met by a read on the JDK's NIO socket (the default transport): no "by peer"
        assertThat(StreamRelay.brokenBy(new SocketException("Connection reset"))).isFalse();
        assertThat(StreamRelay.brokenBy(new IOException("writevAddresses(..) failed: Broken pipe"))).isFalse();
        assertThat(StreamRelay.brokenBy(new HttpClosedException("Connection was closed"))).isFalse();
        assertThat(StreamRelay.brokenBy(new ClosedChannelException())).isFalse();
    }

    @Test
    void aConnectionThatFailedOnItsOwnIsBroken() {
        assertThat(StreamRelay.brokenBy(new IOException("Connection timed out"))).isTrue();
        assertThat(StreamRelay.brokenBy(new IOException("No route to host"))).isTrue();
        assertThat(StreamRelay.brokenBy(new SocketTimeoutException("write timed out"))).isTrue();
    }

    @Test
    void anErrorThatIsNotTheConnectionsIsNeither() {
        assertThat(StreamRelay.brokenBy(new IllegalStateException("Response is closed"))).isFalse();
    }
}
