package io.switchboard.e2e;

import java.time.Duration;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;

/** The official OpenAI Java SDK, pointed at the cluster's gateway, unchanged otherwise. */
final class Clients {
    private Clients() {
    }

    static OpenAIClient openAi(Cluster cluster) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(cluster.baseUrl())
                .apiKey(Cluster.API_KEY)
                .maxRetries(0)
                .timeout(Duration.ofSeconds(60))
                .build();
    }
}
