package io.switchboard.router.scheduling;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.common.annotation.Identifier;
import io.switchboard.router.registry.WorkerSnapshot;

/**
 * {@code prefix-affinity}: how much of the job's prompt the worker has recently been given, as the share of the
 * prompt's full blocks ({@link PromptBlocks}) that form a prefix the router last sent there (the worker's
 * {@link WorkerSnapshot#prefixes()}): 1 when the whole prompt was seen, 0 for none or a prompt under one block. The
 * engine most likely still holds that prefix's KV cache, so it prefills only the rest. Weighed against
 * {@code least-loaded}, so a busier worker loses its affinity (see README.md).
 */
@ApplicationScoped
@Identifier(PrefixAffinityScorer.NAME)
public class PrefixAffinityScorer implements Scorer {
    public static final String NAME = "prefix-affinity";

    @Override
    public double score(PlacementRequest request, WorkerSnapshot worker) {
        long[] blocks = request.promptBlocks();
        if (blocks.length == 0) {
            return 0;
        }
        return (double) worker.prefixes().matchedBlocks(blocks) / blocks.length;
    }
}
