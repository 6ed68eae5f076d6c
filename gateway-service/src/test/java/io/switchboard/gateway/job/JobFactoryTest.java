package io.switchboard.gateway.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.openai.ChatCompletionRequest;
import io.switchboard.schema.wire.Json;

class JobFactoryTest {
    final JobFactory factory = new JobFactory(512);

    InferenceJob create(String body) {
        return factory.create("chatcmpl-1", "req-1", "tenant-a", Json.read(body, ChatCompletionRequest.class), 1000, 61_000);
    }

    @Test
    void appliesOpenAiDefaultsWhenParametersAreAbsent() {
        InferenceJob job = create("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(job.sampling().temperature()).isEqualTo(1.0);
        assertThat(job.sampling().topP()).isEqualTo(1.0);
        assertThat(job.sampling().maxTokens()).isEqualTo(512);
        assertThat(job.sampling().topK()).isNull();
        assertThat(job.sampling().stop()).isEmpty();
        assertThat(job.priority()).isZero();
        assertThat(job.tenantId()).isEqualTo("tenant-a");
        assertThat(job.deadlineAtMs()).isEqualTo(61_000);
    }

    @Test
    void maxCompletionTokensWinsOverDeprecatedMaxTokens() {
        InferenceJob job = create("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"max_tokens\":7,\"max_completion_tokens\":9}");
        assertThat(job.sampling().maxTokens()).isEqualTo(9);
    }

    @Test
    void contentPartsAreJoinedIntoText() {
        InferenceJob job = create("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"text\",\"text\":\"one\"},{\"type\":\"text\",\"text\":\"two\"}]},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[]}]}");
        assertThat(job.messages()).containsExactly(new PromptMessage("user", "one\ntwo"), new PromptMessage("assistant", ""));
    }

    @Test
    void carriesSamplingParametersAndPriority() {
        InferenceJob job = create("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0.2,"
                + "\"top_p\":0.9,\"stop\":[\"END\"],\"seed\":42,\"presence_penalty\":0.5,\"frequency_penalty\":-0.5,"
                + "\"priority\":-2,\"top_k\":40,\"ignore_eos\":true}");
        assertThat(job.sampling()).satisfies(s -> {
            assertThat(s.temperature()).isEqualTo(0.2);
            assertThat(s.topP()).isEqualTo(0.9);
            assertThat(s.stop()).isEqualTo(List.of("END"));
            assertThat(s.seed()).isEqualTo(42L);
            assertThat(s.presencePenalty()).isEqualTo(0.5);
            assertThat(s.frequencyPenalty()).isEqualTo(-0.5);
            assertThat(s.topK()).isEqualTo(40);
            assertThat(s.ignoreEos()).isTrue();
        });
        assertThat(job.priority()).isEqualTo(-2);
    }
}
