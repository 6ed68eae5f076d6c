package io.switchboard.worker.capacity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.TokenLogprob;
import io.switchboard.schema.openai.ToolCall;
import io.switchboard.worker.engine.InferenceEngine;

/** The tokens a running job reports in heartbeats (the router charges fair share by them as they come). */
class ProgressCountTest {
    final List<TokenEvent.Delta> passed = new ArrayList<>();
    final AtomicInteger generated = new AtomicInteger();
    final JobRunner.FirstToken sink = new JobRunner.FirstToken(new InferenceEngine.EventSink() {
        @Override
        public void delta(TokenEvent.Delta delta) {
            passed.add(delta);
        }

        @Override
        public void choiceEnd(int index, String finishReason) {
        }
    }, generated);

    @Test
    void aPieceIsOneTokenUnlessItsLogprobsSayHowMany() {
        sink.delta(TokenEvent.Delta.of("Once"));
        sink.delta(TokenEvent.Delta.of(0, " upon a", List.of(lp(" upon"), lp(" a"))));
        assertThat(generated).hasValue(3);
        assertThat(passed).hasSize(2);
        assertThat(sink.firstAt()).isNotNull();
    }

    @Test
    void anEngineThatReportsItsProgressIsCountedByThatAloneAndItsLaterPiecesAreNotCountedAgain() {
        for (int i = 0; i < 40; i++) {
            sink.progress(1); // an answer read whole: 40 tokens, nothing handed on yet
        }
        assertThat(generated).hasValue(40);
        assertThat(sink.produced()).isFalse();
        sink.delta(TokenEvent.Delta.toolCalls(0, List.of(ToolCall.Chunk.start(0, "call_1", "f"))));
        sink.delta(TokenEvent.Delta.toolCalls(0, List.of(ToolCall.Chunk.arguments(0, "{}"))));
        assertThat(generated).hasValue(40);
        assertThat(passed).hasSize(2);
    }

    static TokenLogprob lp(String token) {
        return new TokenLogprob(token, -0.1, TokenLogprob.utf8(token), List.of());
    }
}
