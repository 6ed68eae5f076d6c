package io.switchboard.worker.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.TokenLogprob;
import io.switchboard.schema.openai.ToolCall;
import io.switchboard.worker.engine.InferenceEngine.EventSink;

/** Keeps every piece, choice end and progress report an engine hands out (calls may come from several threads). */
public final class RecordingSink implements EventSink {
    public final List<TokenEvent.Delta> deltas = java.util.Collections.synchronizedList(new ArrayList<>());
    public final Map<Integer, String> ends = java.util.Collections.synchronizedMap(new TreeMap<>());
    private int progressed;

    @Override
    public synchronized void delta(TokenEvent.Delta delta) {
        deltas.add(delta);
    }

    @Override
    public synchronized void choiceEnd(int index, String finishReason) {
        ends.put(index, finishReason);
    }

    @Override
    public synchronized void progress(int tokens) {
        progressed += tokens;
    }

    /** The tokens reported with {@link #progress}. */
    public synchronized int progressed() {
        return progressed;
    }

    public synchronized String text(int index) {
        return deltas.stream().filter(d -> d.index() == index).map(TokenEvent.Delta::text).collect(Collectors.joining());
    }

    public synchronized List<TokenLogprob> logprobs() {
        return deltas.stream().filter(d -> d.logprobs() != null).flatMap(d -> d.logprobs().stream()).toList();
    }

    public synchronized List<ToolCall.Chunk> toolCalls() {
        return deltas.stream().filter(d -> d.toolCalls() != null).flatMap(d -> d.toolCalls().stream()).toList();
    }

    public synchronized int size() {
        return deltas.size();
    }
}
