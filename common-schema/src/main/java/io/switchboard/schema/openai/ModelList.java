package io.switchboard.schema.openai;

import java.util.List;

/** OpenAI {@code ListModelsResponse}. */
public record ModelList(String object, List<Model> data) {
    public static ModelList of(List<Model> data) {
        return new ModelList("list", data);
    }
}
