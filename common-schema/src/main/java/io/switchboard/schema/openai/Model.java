package io.switchboard.schema.openai;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** OpenAI {@code Model}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Model(String id, String object, long created, String ownedBy) {
    public static Model of(String id, long created, String ownedBy) {
        return new Model(id, "model", created, ownedBy);
    }
}
