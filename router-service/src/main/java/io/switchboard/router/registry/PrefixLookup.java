package io.switchboard.router.registry;

/** What placement may ask of a worker's recently served prompt prefixes: read-only. */
public interface PrefixLookup {

    /** A worker the router has sent no prompt yet. */
    PrefixLookup NONE = blocks -> 0;

    /**
     * How many of {@code blocks} (chained prompt block hashes, first block first) form a prefix the worker has been
     * sent: the index of the first block it has not seen, so a hit deep in the chain after a miss does not count.
     */
    int matchedBlocks(long[] blocks);
}
