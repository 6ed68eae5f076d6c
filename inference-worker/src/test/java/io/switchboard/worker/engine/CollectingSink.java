package io.switchboard.worker.engine;

import java.util.List;

import io.switchboard.schema.event.TokenEvent;

/** An engine's sink that keeps every piece it is handed, in order (choice ends are not kept). */
record CollectingSink(List<TokenEvent.Delta> into) implements InferenceEngine.EventSink {
    @Override
    public void delta(TokenEvent.Delta delta) {
        into.add(delta);
    }

    @Override
    public void choiceEnd(int index, String finishReason) {
    }
}
