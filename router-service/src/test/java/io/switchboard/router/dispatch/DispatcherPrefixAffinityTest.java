package io.switchboard.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.switchboard.router.Fixtures;
import io.switchboard.router.admission.FlowMetrics;
import io.switchboard.router.admission.FlowPolicy;
import io.switchboard.router.scheduling.LeastLoadedScorer;
import io.switchboard.router.scheduling.Placement;
import io.switchboard.router.scheduling.PrefixAffinityScorer;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.schema.event.ServiceClass;

/** The dispatcher remembers which prompts it sent where, so jobs sharing a prefix follow it. */
class DispatcherPrefixAffinityTest {
    static final String SHARED = "You are the support bot of a bank; answer briefly and politely. ".repeat(30);

    static InferenceJob job(String id, String system, String user) {
        return new InferenceJob(InferenceJob.VERSION, id, "r-" + id, "t", "m", 0,
                List.of(new PromptMessage("system", system), new PromptMessage("user", user)),
                new SamplingParams(1, 1, null, null, 16, List.of(), null, 0, 0, false), 0, 60_000, "k", ServiceClass.STANDARD,
                1.0);
    }

    static String workerOf(List<Action> actions) {
        assertThat(actions).singleElement().isInstanceOf(Action.Assign.class);
        return ((Action.Assign) actions.get(0)).workerId();
    }

    /** Prompt blocks placed, hit and missed, as the Micrometer bean counts them. */
    final int[] blocks = new int[2];
    final FlowMetrics metrics = new FlowMetrics() {
        @Override
        public void placed(String model, int matched, int total) {
            blocks[0] += matched;
            blocks[1] += total - matched;
        }
    };

    Dispatcher dispatcher(int prefixBlocks) {
        Placement placement = new Placement(List.of(new Placement.WeightedScorer(new PrefixAffinityScorer(), 1),
                new Placement.WeightedScorer(new LeastLoadedScorer(), 1)), new Random(7));
        Dispatcher d = new Dispatcher(placement, 3_000, 10_000, FlowPolicy.DEFAULTS, metrics, prefixBlocks);
        d.onHeartbeat(Fixtures.heartbeat("a", 8, "m"), 0);
        d.onHeartbeat(Fixtures.heartbeat("b", 8, "m"), 0);
        return d;
    }

    @Test
    void jobsSharingAPrefixGoWhereItWasSentAndOthersSpreadByLoad() {
        Dispatcher d = dispatcher(1000);
        String first = workerOf(d.onJob(job("1", SHARED, "my card is blocked"), 0));
        String other = first.equals("a") ? "b" : "a";

        assertThat(workerOf(d.onJob(job("2", SHARED, "how do I open an account"), 1))).isEqualTo(first);
        assertThat(workerOf(d.onJob(job("3", "A different assistant altogether. ".repeat(30), "hello"), 2)))
                .as("no prefix anywhere: the less loaded worker").isEqualTo(other);
        assertThat(workerOf(d.onJob(job("4", SHARED, "what are your opening hours"), 3))).isEqualTo(first);
    }

    @Test
    void placedPrefixBlocksAreCountedAsHitsAndMisses() {
        Dispatcher d = dispatcher(1000);
        InferenceJob first = job("1", SHARED, "my card is blocked");
        int total = io.switchboard.router.scheduling.PromptBlocks.of(first).length;
        d.onJob(first, 0);
        assertThat(blocks).containsExactly(0, total);

        d.onJob(job("2", SHARED, "my card is blocked"), 1);

        assertThat(blocks).containsExactly(total, total);
    }

    @Test
    void aWorkerThatLeftTakesItsPrefixesWithIt() {
        Dispatcher d = dispatcher(1000);
        String first = workerOf(d.onJob(job("1", SHARED, "q"), 0));
        d.onCompletion("1", 10);
        d.tick(5_000); // both silent past the timeout: gone
        d.onHeartbeat(Fixtures.heartbeat(first, 8, "m"), 5_001); // back under the same id, as a new worker
        d.onHeartbeat(Fixtures.heartbeat("c", 8, "m"), 5_001);
        assertThat(d.workers()).allSatisfy(w -> assertThat(w.prefixes().matchedBlocks(
                io.switchboard.router.scheduling.PromptBlocks.of(job("x", SHARED, "q")))).isZero());
    }

    @Test
    void withNoIndexPlacementIsByLoadAlone() {
        Dispatcher d = dispatcher(0);
        String first = workerOf(d.onJob(job("1", SHARED, "q1"), 0));
        assertThat(workerOf(d.onJob(job("2", SHARED, "q2"), 1))).isNotEqualTo(first);
    }
}
