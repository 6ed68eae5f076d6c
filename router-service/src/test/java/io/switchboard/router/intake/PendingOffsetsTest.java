package io.switchboard.router.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** What the active router may commit: never past a job whose fate is open, and only when it moved. */
class PendingOffsetsTest {
    final PendingOffsets pending = new PendingOffsets();

    @Test
    void aPartitionIsCommittedUpToItsOldestOpenJob() {
        pending.delivered(0, 10);
        pending.delivered(0, 11);
        pending.delivered(0, 12);
        pending.settled(0, 11);
        pending.settled(0, 12);

        assertThat(pending.toCommit()).isEqualTo(Map.of(0, 10L));
        assertThat(pending.unsettled()).isEqualTo(1);
    }

    @Test
    void onceEverythingIsSettledThePartitionIsCommittedPastItsLastRecord() {
        pending.delivered(0, 10);
        pending.delivered(0, 11);
        assertThat(pending.toCommit()).isEqualTo(Map.of(0, 10L));

        pending.settled(0, 10);
        pending.settled(0, 11);

        assertThat(pending.toCommit()).isEqualTo(Map.of(0, 12L));
        assertThat(pending.unsettled()).isZero();
    }

    @Test
    void itIsIdleOnlyWithNothingOpenAndEverythingCommitted() {
        assertThat(pending.idle()).isTrue();
        pending.delivered(0, 10);
        assertThat(pending.idle()).isFalse();
        pending.settled(0, 10);
        assertThat(pending.idle()).as("settled, not yet committed").isFalse();

        pending.toCommit();

        assertThat(pending.idle()).isTrue();
        pending.uncommitted();
        assertThat(pending.idle()).as("a commit failed: it is sent again").isFalse();
    }

    @Test
    void anOffsetIsCommittedOnceAndNeverMovesBack() {
        pending.delivered(0, 5);
        pending.settled(0, 5);
        assertThat(pending.toCommit()).isEqualTo(Map.of(0, 6L));

        assertThat(pending.toCommit()).isEmpty();
        // read again after a reconnect from the committed offset: nothing older is committed
        pending.delivered(0, 6);
        assertThat(pending.toCommit()).isEmpty();
    }

    @Test
    void partitionsAreCommittedIndependently() {
        pending.delivered(0, 1);
        pending.delivered(1, 7);
        pending.settled(1, 7);

        assertThat(pending.toCommit()).isEqualTo(Map.of(0, 1L, 1, 8L));
    }

    @Test
    void aRecordReadTwiceIsOpenOnceAndSettlingItTwiceChangesNothing() {
        pending.delivered(0, 3);
        pending.delivered(0, 3);
        assertThat(pending.unsettled()).isEqualTo(1);

        pending.settled(0, 3);
        pending.settled(0, 3);

        assertThat(pending.unsettled()).isZero();
    }

    @Test
    void afterAFailedCommitEveryPartitionIsCommittedAgain() {
        pending.delivered(0, 5);
        pending.settled(0, 5);
        assertThat(pending.toCommit()).isEqualTo(Map.of(0, 6L));

        pending.uncommitted();

        assertThat(pending.toCommit()).isEqualTo(Map.of(0, 6L));
    }
}
