package io.switchboard.router.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.switchboard.router.registry.ServedPrefixes;
import io.switchboard.router.registry.WorkerSnapshot;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;

/** The prefix affinity scorer and its per-worker index: matched prefix blocks over the prompt's blocks. */
class PrefixAffinityScorerTest {
    static final String SYSTEM = "You answer questions about the Switchboard platform. ".repeat(24);

    static InferenceJob job(String id, String system, String user) {
        return new InferenceJob(InferenceJob.VERSION, id, "r", "t", "m", 0,
                List.of(new PromptMessage("system", system), new PromptMessage("user", user)),
                new SamplingParams(1, 1, null, null, 16, List.of(), null, 0, 0, false), 0, 60_000);
    }

    static WorkerSnapshot worker(String id, int total, int free, ServedPrefixes prefixes) {
        return new WorkerSnapshot(id, List.of("m"), "llama", total, free, total - free, 0, prefixes, null, null);
    }

    final PrefixAffinityScorer scorer = new PrefixAffinityScorer();

    @Test
    void scoresTheShareOfThePromptsBlocksThatFormASeenPrefix() {
        ServedPrefixes seen = new ServedPrefixes(1000);
        InferenceJob first = job("1", SYSTEM, "question one ".repeat(30));
        seen.served(PromptBlocks.of(first));
        PlacementRequest same = new PlacementRequest(first);
        PlacementRequest sharesSystem = new PlacementRequest(job("2", SYSTEM, "another question ".repeat(30)));
        PlacementRequest unrelated = new PlacementRequest(job("3", "Something else entirely. ".repeat(50), "q"));

        assertThat(scorer.score(same, worker("w", 4, 4, seen))).isEqualTo(1.0);
        double partial = scorer.score(sharesSystem, worker("w", 4, 4, seen));
        assertThat(partial).isGreaterThan(0.5).isLessThan(1.0);
        assertThat(scorer.score(unrelated, worker("w", 4, 4, seen))).isZero();
        assertThat(scorer.score(same, worker("fresh", 4, 4, new ServedPrefixes(1000)))).isZero();
    }

    @Test
    void aPromptShorterThanABlockScoresZero() {
        ServedPrefixes seen = new ServedPrefixes(1000);
        InferenceJob tiny = job("1", "s", "hi");
        seen.served(PromptBlocks.of(tiny));
        assertThat(scorer.score(new PlacementRequest(tiny), worker("w", 4, 4, seen))).isZero();
    }

    @Test
    void theIndexIsBoundedAndEvictsTheDeepestBlocksOfTheOldestPromptFirst() {
        ServedPrefixes seen = new ServedPrefixes(40);
        long[] old = PromptBlocks.of(job("1", SYSTEM, "old ".repeat(100)));
        seen.served(old);
        long[] recent = PromptBlocks.of(job("2", "Other system prompt. ".repeat(40), "new ".repeat(100)));
        seen.served(recent);

        assertThat(seen.size()).isEqualTo(40);
        assertThat(seen.matchedBlocks(recent)).isEqualTo(Math.min(recent.length, 40));
        int left = 40 - recent.length;
        assertThat(seen.matchedBlocks(old)).as("the old prompt keeps its shallow blocks").isEqualTo(Math.max(0, left));
    }

    @Test
    void aMissEndsTheMatchEvenWhenDeeperBlocksAreKnown() {
        ServedPrefixes seen = new ServedPrefixes(100);
        long[] chain = {1, 2, 3, 4};
        seen.served(new long[] {1, 3, 4});
        assertThat(seen.matchedBlocks(chain)).isEqualTo(1);
    }

    @Test
    void withLeastLoadedTheWorkerHoldingThePrefixWinsUnlessMuchBusier() {
        ServedPrefixes warm = new ServedPrefixes(1000);
        InferenceJob seen = job("1", SYSTEM, "question ".repeat(40));
        warm.served(PromptBlocks.of(seen));
        InferenceJob next = job("2", SYSTEM, "question ".repeat(40) + "and a follow-up");
        Placement placement = new Placement(List.of(new Placement.WeightedScorer(scorer, 1),
                new Placement.WeightedScorer(new LeastLoadedScorer(), 2)), new Random(1));

        assertThat(placement.place(next, List.of(worker("cold", 8, 8, new ServedPrefixes(1000)), worker("warm", 8, 6, warm))))
                .as("a little busier").contains("warm");
        assertThat(placement.place(next, List.of(worker("cold", 8, 8, new ServedPrefixes(1000)), worker("warm", 8, 1, warm))))
                .as("much busier").contains("cold");
    }
}
