package io.switchboard.worker.engine.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.vertx.core.buffer.Buffer;

/** How an upstream's body is cut into lines as its buffers arrive ({@link UpstreamExchange.Lines}). */
class UpstreamLinesTest {

    private static List<String> lines(byte[]... buffers) {
        List<String> out = new ArrayList<>();
        UpstreamExchange.Lines lines = new UpstreamExchange.Lines(out::add);
        for (byte[] b : buffers) {
            lines.feed(Buffer.buffer(b));
        }
        lines.end();
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void linesEndAtLineFeedCarriageReturnOrBoth() {
        assertThat(lines(bytes("data: a\r\n\r\ndata: b\n\ndata: c\rdata: d\n")))
                .containsExactly("data: a", "", "data: b", "", "data: c", "data: d");
    }

    @Test
    void aCarriageReturnAndItsLineFeedInTwoBuffersEndOneLine() {
        assertThat(lines(bytes("data: a\r"), bytes("\ndata: b\n"))).containsExactly("data: a", "data: b");
    }

    @Test
    void aCharacterSplitAcrossBuffersIsDecodedWhole() {
        byte[] all = bytes("data: é🙂\n");
        for (int cut = 1; cut < all.length; cut++) {
            assertThat(lines(Arrays.copyOfRange(all, 0, cut), Arrays.copyOfRange(all, cut, all.length)))
                    .as("cut at byte %d", cut).containsExactly("data: é🙂");
        }
    }

    @Test
    void aLastLineWithoutItsBreakIsStillALine() {
        assertThat(lines(bytes("data: a\n\ndata: [DONE]"))).containsExactly("data: a", "", "data: [DONE]");
    }

    @Test
    void aLineLongerThanTheFirstBufferIsKeptWhole() {
        String longLine = "data: " + "x".repeat(10_000);
        assertThat(lines(bytes(longLine.substring(0, 5000)), bytes(longLine.substring(5000) + "\n")))
                .containsExactly(longLine);
    }
}
