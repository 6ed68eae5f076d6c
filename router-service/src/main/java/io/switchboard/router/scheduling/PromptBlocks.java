package io.switchboard.router.scheduling;

import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;

/**
 * A prompt cut into fixed blocks of {@value #BLOCK_CHARS} characters and hashed as a chain: block {@code i}'s hash
 * covers the whole prompt up to and including block {@code i}, so two prompts share block {@code i}'s hash only when
 * they share everything before it too (the way engines key their KV-cache blocks). The prompt is the job's messages in
 * order, each its role then its content, with separators so that moving text between messages changes the hashes.
 * Only full blocks are hashed: an engine caches whole blocks. Pure functions.
 */
public final class PromptBlocks {
    /** Characters per block: about 16 tokens at the router's estimate of four characters a token. */
    public static final int BLOCK_CHARS = 64;

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;
    private static final long[] NONE = new long[0];

    private PromptBlocks() {
    }

    /** The chained hashes of the job's full blocks, first block first; empty for a prompt shorter than one block. */
    public static long[] of(InferenceJob job) {
        int chars = 0;
        for (PromptMessage m : job.messages()) {
            chars += length(m.role()) + length(m.content()) + 2;
        }
        int blocks = chars / BLOCK_CHARS;
        if (blocks == 0) {
            return NONE;
        }
        long[] hashes = new long[blocks];
        long chain = FNV_OFFSET;
        long h = chain;
        int inBlock = 0;
        int block = 0;
        for (PromptMessage m : job.messages()) {
            for (int part = 0; part < 4 && block < blocks; part++) {
                String text = switch (part) {
                    case 0 -> m.role();
                    case 1 -> "\u0001";
                    case 2 -> m.content();
                    default -> "\u0002";
                };
                if (text == null) {
                    continue;
                }
                for (int i = 0; i < text.length() && block < blocks; i++) {
                    h = (h ^ text.charAt(i)) * FNV_PRIME;
                    if (++inBlock == BLOCK_CHARS) {
                        chain = mix(chain, h);
                        hashes[block++] = chain;
                        h = FNV_OFFSET;
                        inBlock = 0;
                    }
                }
            }
        }
        return hashes;
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }

    /** Folds a block's own hash into the chain so far (a 64-bit finaliser, so nearby chains spread). */
    private static long mix(long chain, long block) {
        long x = chain * 31 + block;
        x ^= x >>> 33;
        x *= 0xff51afd7ed558ccdL;
        x ^= x >>> 33;
        x *= 0xc4ceb9fe1a85ec53L;
        x ^= x >>> 33;
        return x;
    }
}
