package io.switchboard.worker.engine.openai;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.TokenLogprob;
import io.switchboard.schema.openai.ToolCall;
import io.switchboard.worker.engine.InferenceEngine.EventSink;

/** Keeps every piece and choice end an engine hands out (calls may come from several threads). */
final class RecordingSink implements EventSink {
    final List<TokenEvent.Delta> deltas = new ArrayList<>();
    final Map<Integer, String> ends = new TreeMap<>();

    @Override
    public synchronized void delta(TokenEvent.Delta delta) {
        deltas.add(delta);
    }

    @Override
    public synchronized void choiceEnd(int index, String finishReason) {
        ends.put(index, finishReason);
    }

    synchronized String text(int index) {
        return deltas.stream().filter(d -> d.index() == index).map(TokenEvent.Delta::text).collect(Collectors.joining());
    }

    synchronized List<TokenLogprob> logprobs() {
        return deltas.stream().filter(d -> d.logprobs() != null).flatMap(d -> d.logprobs().stream()).toList();
    }

    synchronized List<ToolCall.Chunk> toolCalls() {
        return deltas.stream().filter(d -> d.toolCalls() != null).flatMap(d -> d.toolCalls().stream()).toList();
    }

    synchronized int size() {
        return deltas.size();
    }
}
