package io.switchboard.router.registry;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The router's approximate index of the prompt prefixes one worker has recently been given: the chained block hashes
 * of the prompts it assigned there (see {@code scheduling.PromptBlocks}), at most {@code capacity} of them, the least
 * recently served evicted first, as an engine's prefix cache evicts. Approximate on purpose: the engine's real cache may
 * already have evicted a block (or hold one another router sent), and a 64-bit hash may collide. Memory is bounded:
 * about 80 bytes a block. Lookups do not refresh a block; only serving it again does. Not thread-safe (the
 * dispatcher's thread).
 */
public final class ServedPrefixes implements PrefixLookup {
    private final int capacity;
    private final LinkedHashMap<Long, Boolean> blocks;

    public ServedPrefixes(int capacity) {
        this.capacity = capacity;
        this.blocks = new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
                return size() > ServedPrefixes.this.capacity;
            }
        };
    }

    /**
     * The worker was given a prompt of these blocks. They are recorded last block first, so the shallow blocks (shared by
     * more prompts, and needed for any deeper one to match) are the most recent and evicted last.
     */
    public void served(long[] chain) {
        if (capacity <= 0) {
            return;
        }
        for (int i = chain.length - 1; i >= 0; i--) {
            blocks.put(chain[i], Boolean.TRUE);
        }
    }

    @Override
    public int matchedBlocks(long[] chain) {
        int matched = 0;
        while (matched < chain.length && blocks.containsKey(chain[matched])) {
            matched++;
        }
        return matched;
    }

    public int size() {
        return blocks.size();
    }
}
