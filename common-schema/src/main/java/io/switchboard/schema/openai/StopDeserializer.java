package io.switchboard.schema.openai;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;

/** {@code stop}: a string or an array of strings; both become a list. */
public class StopDeserializer extends JsonDeserializer<List<String>> {
    @Override
    public List<String> deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_STRING) {
            return List.of(p.getText());
        }
        if (p.currentToken() == JsonToken.START_ARRAY) {
            List<String> out = new ArrayList<>();
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                if (t != JsonToken.VALUE_STRING) {
                    throw ctxt.wrongTokenException(p, String.class, JsonToken.VALUE_STRING,
                            "stop must be a string or an array of strings");
                }
                out.add(p.getText());
            }
            return out;
        }
        throw ctxt.wrongTokenException(p, List.class, JsonToken.START_ARRAY,
                "stop must be a string or an array of strings");
    }
}
