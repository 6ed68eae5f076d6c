package io.switchboard.router.intake;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The jobs topic's offsets read and not yet settled, per partition, and what may be committed: a partition's offset
 * is committed only up to its oldest job whose fate is not settled, so a router that dies loses nothing (its
 * successor reads those jobs again; what already ran is recognised and not run twice). Not thread-safe.
 */
public final class PendingOffsets {
    private final Map<Integer, TreeSet<Long>> unsettled = new HashMap<>();
    private final Map<Integer, Long> next = new HashMap<>();
    private final Map<Integer, Long> committed = new HashMap<>();
    private int count;

    /** A record was read. */
    public void delivered(int partition, long offset) {
        if (unsettled.computeIfAbsent(partition, p -> new TreeSet<>()).add(offset)) {
            count++;
        }
        next.merge(partition, offset + 1, Math::max);
    }

    /** A record's job is settled (accepted by a worker, ended, or let go). */
    public void settled(int partition, long offset) {
        TreeSet<Long> open = unsettled.get(partition);
        if (open != null && open.remove(offset)) {
            count--;
        }
    }

    /** A commit failed: the next {@link #toCommit} answers every partition again, moved or not. */
    public void uncommitted() {
        committed.clear();
    }

    /** Records read and not settled, all partitions. */
    public int unsettled() {
        return count;
    }

    /**
     * The offsets to commit now, per partition (the next record to read after a restart), only where they moved since
     * the last call; marks them committed.
     */
    public Map<Integer, Long> toCommit() {
        Map<Integer, Long> out = new HashMap<>();
        for (Map.Entry<Integer, Long> e : next.entrySet()) {
            long offset = commitOffset(e.getKey(), e.getValue());
            if (moved(e.getKey(), offset)) {
                out.put(e.getKey(), offset);
                committed.put(e.getKey(), offset);
            }
        }
        return out;
    }

    /** Whether nothing is left to do: no record unsettled, and every partition committed where it stands. */
    public boolean idle() {
        if (count > 0) {
            return false;
        }
        for (Map.Entry<Integer, Long> e : next.entrySet()) {
            if (moved(e.getKey(), commitOffset(e.getKey(), e.getValue()))) {
                return false;
            }
        }
        return true;
    }

    private long commitOffset(int partition, long nextOffset) {
        TreeSet<Long> open = unsettled.get(partition);
        return open == null || open.isEmpty() ? nextOffset : open.first();
    }

    private boolean moved(int partition, long offset) {
        Long last = committed.get(partition);
        return last == null || offset > last;
    }
}
