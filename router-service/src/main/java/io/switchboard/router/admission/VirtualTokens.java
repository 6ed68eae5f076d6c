package io.switchboard.router.admission;

import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;

/**
 * The arithmetic of virtual token counters (VTC, Sheng et al., "Fairness in Serving Large Language Models",
 * OSDI 2024): within a band, every tenant has a counter of the service it received, in weighted tokens; the
 * backlogged tenant with the lowest counter goes next. A dispatched job charges its prompt (estimated, as the router
 * has no tokenizer) at once, and the worker's real counts correct it when the job ends. Pure functions.
 */
public final class VirtualTokens {
    /** Characters per token of the prompt estimate (the real count replaces it when the job ends). */
    static final int CHARS_PER_TOKEN = 4;

    private VirtualTokens() {
    }

    /** The prompt's tokens estimated from its text: one per {@value #CHARS_PER_TOKEN} characters, at least 1. */
    public static long estimatePromptTokens(InferenceJob job) {
        long chars = 0;
        for (PromptMessage m : job.messages()) {
            chars += m.content() == null ? 0 : m.content().length();
        }
        return Math.max(1, (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN);
    }

    /** What a job adds to its tenant's counter when it is dispatched: its estimated prompt, weighted. */
    public static double atDispatch(long estimatedPrompt, double promptWeight, double tenantWeight) {
        return estimatedPrompt * promptWeight / tenantWeight;
    }

    /**
     * What a job adds to its tenant's counter when it ends: the real prompt minus the estimate already charged (no
     * correction when the real count is unknown, 0), plus its generated tokens, each weighted, over the tenant's weight.
     */
    public static double atCompletion(long estimatedPrompt, int realPrompt, int completion, double promptWeight,
            double completionWeight, double tenantWeight) {
        double promptDelta = realPrompt > 0 ? realPrompt - estimatedPrompt : 0;
        return (promptDelta * promptWeight + completion * completionWeight) / tenantWeight;
    }

    /**
     * What a running job adds to its tenant's counter as it goes: the tokens it generated since the last report,
     * weighted, over the tenant's weight. Its end then charges only the rest ({@link #atCompletion} of what is left), so
     * a long generation weighs on its tenant while it runs, not only when it ends.
     */
    public static double progress(int newTokens, double completionWeight, double tenantWeight) {
        return newTokens * completionWeight / tenantWeight;
    }

    /**
     * The counter of a tenant that becomes backlogged: lifted to the lowest counter among the band's backlogged
     * tenants ({@code lowestBacklogged}), or to the band's floor (the counter last served) when none is, and never
     * lowered, so time spent idle cannot be banked and spent later as a burst.
     */
    public static double lifted(double own, double lowestBackloggedOrFloor) {
        return Math.max(own, lowestBackloggedOrFloor);
    }
}
