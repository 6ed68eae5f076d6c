package io.switchboard.router.intake;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AssignmentPublisherTest {
    private static final long MINUTE = AssignmentPublisher.REFRESH_EVERY_MS * 1_000_000L;

    @Test
    void anInboxExpiryIsPushedBackByItsFirstAssignmentThenOnceAMinute() {
        AssignmentPublisher publisher = new AssignmentPublisher();
        long t0 = 5_000_000_000L;
        assertThat(publisher.refreshDue("inbox-a", t0)).isTrue();
        assertThat(publisher.refreshDue("inbox-a", t0 + 1)).isFalse();
        assertThat(publisher.refreshDue("inbox-a", t0 + MINUTE - 1)).isFalse();
        assertThat(publisher.refreshDue("inbox-a", t0 + MINUTE)).isTrue();
        assertThat(publisher.refreshDue("inbox-a", t0 + MINUTE + 1)).isFalse();
        // each inbox on its own clock
        assertThat(publisher.refreshDue("inbox-b", t0 + 1)).isTrue();
    }

    @Test
    void anInboxNotAssignedToForLongerThanItsTtlIsForgotten() {
        AssignmentPublisher publisher = new AssignmentPublisher();
        long t0 = 5_000_000_000L;
        publisher.refreshDue("inbox-gone", t0);
        publisher.refreshDue("inbox-busy", t0);
        long later = t0 + AssignmentPublisher.INBOX_TTL.toNanos() + 1;
        publisher.refreshDue("inbox-busy", later);
        assertThat(publisher.remembered()).isEqualTo(1);
        assertThat(publisher.refreshDue("inbox-gone", later + 1)).isTrue();
    }
}
