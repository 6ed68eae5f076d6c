package io.switchboard.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.Usage;
import io.switchboard.schema.wire.Json;

/** A job stream entry decodes to an event with its entry id, or to a {@link BadEventException} naming what is wrong. */
class EventDecodingTest {

    @Test
    void aGoodEntryKeepsItsEntryId() {
        StreamedEvent e = TokenStreamReader.decode("chatcmpl-1", "17-3", Json.write(TokenEvent.Finish.of("stop", Usage.of(1, 2))));
        assertThat(e.id()).isEqualTo("17-3");
        assertThat(e.event()).isEqualTo(TokenEvent.Finish.of("stop", Usage.of(1, 2)));
    }

    @Test
    void notJsonIsUndecodable() {
        assertBad("{oops", "undecodable");
        assertBad(null, "undecodable");
    }

    @Test
    void anUnknownTypeIsUnknown() {
        assertBad("{\"type\":\"teleport\",\"v\":1}", "unknown");
        assertBad("{\"v\":1,\"text\":\"no type\"}", "unknown");
    }

    @Test
    void anEventMissingWhatTheAnswerNeedsIsUndecodable() {
        assertBad("{\"type\":\"delta\",\"v\":1}", "undecodable");
        assertBad("{\"type\":\"finish\",\"v\":1}", "undecodable");
        assertBad("{\"type\":\"failure\",\"v\":1,\"message\":\"m\",\"status\":500}", "undecodable");
    }

    private static void assertBad(String json, String kind) {
        assertThatThrownBy(() -> TokenStreamReader.decode("chatcmpl-1", "17-4", json))
                .isInstanceOfSatisfying(BadEventException.class, e -> {
                    assertThat(e.kind()).isEqualTo(kind);
                    assertThat(e.getMessage()).contains("chatcmpl-1").contains("17-4");
                });
    }
}
