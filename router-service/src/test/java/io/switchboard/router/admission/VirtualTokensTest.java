package io.switchboard.router.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.switchboard.router.Fixtures;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.ServiceClass;

/** The counters' arithmetic as tables: what a job charges at dispatch and at its end. */
class VirtualTokensTest {

    @Test
    void thePromptIsEstimatedAtOneTokenPerFourCharactersOfEveryMessage() {
        InferenceJob job = Fixtures.job("j", "m", ServiceClass.STANDARD, "t");
        InferenceJob two = new InferenceJob(InferenceJob.VERSION, "j", "r", "t", "m", 0,
                List.of(new PromptMessage("system", "abcde"), new PromptMessage("user", "abc")), job.sampling(), 0, 1, null,
                null, 1);
        InferenceJob empty = new InferenceJob(InferenceJob.VERSION, "j", "r", "t", "m", 0,
                List.of(new PromptMessage("user", "")), job.sampling(), 0, 1, null, null, 1);

        assertThat(VirtualTokens.estimatePromptTokens(job)).isEqualTo(10);
        assertThat(VirtualTokens.estimatePromptTokens(two)).isEqualTo(2);
        assertThat(VirtualTokens.estimatePromptTokens(empty)).isEqualTo(1);
    }

    static Stream<Arguments> dispatchCharges() {
        return Stream.of(
                Arguments.of("weight 1: the estimate", 100L, 1.0, 1.0, 100.0),
                Arguments.of("weight 2 pays half", 100L, 1.0, 2.0, 50.0),
                Arguments.of("a prompt weight scales it", 100L, 0.5, 1.0, 50.0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dispatchCharges")
    void aDispatchChargesTheEstimatedPromptOverTheWeight(String name, long estimate, double promptWeight, double weight,
            double charge) {
        assertThat(VirtualTokens.atDispatch(estimate, promptWeight, weight)).isCloseTo(charge, within(1e-9));
    }

    static Stream<Arguments> completionCharges() {
        return Stream.of(
                Arguments.of("real prompt above the estimate adds the difference, plus 2 per generated token", 100L, 120, 10, 1.0, 40.0),
                Arguments.of("real prompt below the estimate gives back the difference", 100L, 90, 0, 1.0, -10.0),
                Arguments.of("unknown real prompt (0) keeps the estimate", 100L, 0, 10, 1.0, 20.0),
                Arguments.of("weight 2 pays half", 100L, 120, 10, 2.0, 20.0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("completionCharges")
    void aCompletionSettlesTheRealPromptAndTheGeneratedTokens(String name, long estimate, int prompt, int completion,
            double weight, double charge) {
        assertThat(VirtualTokens.atCompletion(estimate, prompt, completion, 1.0, 2.0, weight)).isCloseTo(charge, within(1e-9));
    }

    static Stream<Arguments> lifts() {
        return Stream.of(
                Arguments.of("an idle tenant behind the others is lifted to the lowest backlogged", 10.0, 500.0, 500.0),
                Arguments.of("a tenant ahead of them keeps its counter (never lowered)", 900.0, 500.0, 900.0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lifts")
    void aReturningTenantIsLiftedNeverLowered(String name, double own, double lowest, double lifted) {
        assertThat(VirtualTokens.lifted(own, lowest)).isEqualTo(lifted);
    }
}
