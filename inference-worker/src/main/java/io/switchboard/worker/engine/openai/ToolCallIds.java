package io.switchboard.worker.engine.openai;

import java.security.SecureRandom;
import java.util.Random;
import java.util.function.Supplier;

/** Ids for tool calls an upstream left without one: {@code call_} and 24 letters and digits, as OpenAI's look. */
public final class ToolCallIds {
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private ToolCallIds() {
    }

    public static Supplier<String> random() {
        return from(new SecureRandom());
    }

    /** From a given (seedable) random source. */
    public static Supplier<String> from(Random random) {
        return () -> {
            StringBuilder id = new StringBuilder("call_");
            synchronized (random) {
                for (int i = 0; i < 24; i++) {
                    id.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
                }
            }
            return id.toString();
        };
    }
}
