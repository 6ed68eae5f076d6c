package io.switchboard.gateway.usage;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * Aggregated usage: one row per tenant (and model, key or day, as grouped), over whole UTC days {@code from} to
 * {@code to} (a job counts on the day it was accepted).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UsageReport(String from, String to, String groupBy, List<Row> data) {

    @JsonProperty("object")
    public String object() {
        return "list";
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Row(String tenant, String model, String keyId, String day, long requests, long promptTokens,
            long completionTokens, long cachedTokens) {

        @JsonProperty("object")
        public String object() {
            return "usage";
        }

        @JsonProperty("total_tokens")
        public long totalTokens() {
            return promptTokens + completionTokens;
        }
    }
}
