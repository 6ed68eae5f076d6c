package io.switchboard.router.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;

/** Prompts cut into chained block hashes: a shared prefix shares its blocks, and nothing after a difference does. */
class PromptBlocksTest {

    static InferenceJob job(PromptMessage... messages) {
        return new InferenceJob(InferenceJob.VERSION, "j", "r", "t", "m", 0, List.of(messages),
                new SamplingParams(1, 1, null, null, 16, List.of(), null, 0, 0, false), 0, 60_000);
    }

    static final String SYSTEM = "You are a careful assistant. ".repeat(20);

    @Test
    void onlyFullBlocksAreHashed() {
        assertThat(PromptBlocks.of(job(new PromptMessage("user", "hi")))).isEmpty();
        // role (4) + separator + 120 chars + separator = 126 characters: one full block of 64
        assertThat(PromptBlocks.of(job(new PromptMessage("user", "x".repeat(120))))).hasSize(1);
        assertThat(PromptBlocks.of(job(new PromptMessage("user", "x".repeat(122))))).hasSize(2);
    }

    @Test
    void promptsSharingASystemPromptShareItsBlocksAndDifferAfterIt() {
        long[] a = PromptBlocks.of(job(new PromptMessage("system", SYSTEM), new PromptMessage("user", "a".repeat(300))));
        long[] b = PromptBlocks.of(job(new PromptMessage("system", SYSTEM), new PromptMessage("user", "b".repeat(300))));
        int shared = (6 + 2 + SYSTEM.length() + 6) / PromptBlocks.BLOCK_CHARS; // blocks wholly inside system + "user"
        assertThat(Arrays.copyOf(a, shared)).isEqualTo(Arrays.copyOf(b, shared));
        for (int i = shared + 1; i < Math.min(a.length, b.length); i++) {
            assertThat(a[i]).as("block %d", i).isNotEqualTo(b[i]);
        }
    }

    @Test
    void aBlockIdentifiesEverythingBeforeIt() {
        // the same second block of text after a different first block hashes differently
        long[] a = PromptBlocks.of(job(new PromptMessage("user", "a".repeat(58) + "z".repeat(64))));
        long[] b = PromptBlocks.of(job(new PromptMessage("user", "b".repeat(58) + "z".repeat(64))));
        assertThat(a).hasSize(2);
        assertThat(a[1]).isNotEqualTo(b[1]);
    }

    @Test
    void movingTextBetweenMessagesChangesTheHashes() {
        long[] one = PromptBlocks.of(job(new PromptMessage("user", "x".repeat(200))));
        long[] two = PromptBlocks.of(job(new PromptMessage("user", "x".repeat(100)), new PromptMessage("user", "x".repeat(100))));
        assertThat(one[one.length - 1]).isNotEqualTo(two[two.length - 1]);
    }

    @Test
    void theSamePromptAlwaysHashesTheSame() {
        InferenceJob j = job(new PromptMessage("system", SYSTEM), new PromptMessage("user", "hello"));
        assertThat(PromptBlocks.of(j)).isEqualTo(PromptBlocks.of(j));
    }
}
