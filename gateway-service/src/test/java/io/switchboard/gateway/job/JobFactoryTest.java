package io.switchboard.gateway.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.switchboard.gateway.auth.Caller;
import io.switchboard.gateway.tenancy.ApiKey;
import io.switchboard.gateway.tenancy.Limits;
import io.switchboard.gateway.tenancy.Tenant;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.ServiceClass;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.openai.ChatCompletionRequest;
import io.switchboard.schema.wire.Json;

class JobFactoryTest {
    final JobFactory factory = new JobFactory(512, 100);

    static Caller caller(ServiceClass serviceClass, double weight, Limits tenantLimits, Limits keyLimits) {
        Tenant tenant = new Tenant("tenant-a", "A", serviceClass, weight, null, tenantLimits, Tenant.SOURCE_API, 0);
        ApiKey key = new ApiKey("key_a", "tenant-a", null, "sk-sb-abc", "00", null, keyLimits, 0, null, null, Tenant.SOURCE_API);
        return new Caller(tenant, key);
    }

    static final Caller STANDARD = caller(ServiceClass.STANDARD, 1, null, null);

    InferenceJob create(String body) {
        return create(STANDARD, body);
    }

    InferenceJob create(Caller caller, String body) {
        return factory.create("chatcmpl-1", "req-1", caller, Json.read(body, ChatCompletionRequest.class), 1000, 61_000);
    }

    static final String HI = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    @Test
    void jobCarriesTheTenantsClassWeightAndKeyId() {
        InferenceJob job = create(caller(ServiceClass.CRITICAL, 3, null, null), HI + "}");
        assertThat(job.serviceClass()).isEqualTo(ServiceClass.CRITICAL);
        assertThat(job.weight()).isEqualTo(3.0);
        assertThat(job.keyId()).isEqualTo("key_a");
    }

    @Test
    void flexServiceTierMovesTheRequestToTheBatchBand() {
        assertThat(create(caller(ServiceClass.CRITICAL, 1, null, null), HI + ",\"service_tier\":\"flex\"}").serviceClass())
                .isEqualTo(ServiceClass.BATCH);
    }

    @Test
    void noServiceTierLiftsARequestAboveItsTenantsClass() {
        assertThat(create(caller(ServiceClass.BATCH, 1, null, null), HI + ",\"service_tier\":\"priority\"}").serviceClass())
                .isEqualTo(ServiceClass.BATCH);
        assertThat(create(caller(ServiceClass.STANDARD, 1, null, null), HI + ",\"service_tier\":\"scale\"}").serviceClass())
                .isEqualTo(ServiceClass.STANDARD);
    }

    @Test
    void priorityIsClampedToTheDocumentedRange() {
        assertThat(create(HI + ",\"priority\":-1000000}").priority()).isEqualTo(-100);
        assertThat(create(HI + ",\"priority\":5000}").priority()).isEqualTo(100);
        assertThat(create(HI + ",\"priority\":-7}").priority()).isEqualTo(-7);
    }

    @Test
    void defaultMaxTokensIsLoweredToTheTighterOfTenantAndKeyCaps() {
        Limits tenantCap = new Limits(null, null, null, null, null, 300L);
        Limits keyCap = new Limits(null, null, null, null, null, 200L);
        assertThat(create(caller(ServiceClass.STANDARD, 1, tenantCap, null), HI + "}").sampling().maxTokens()).isEqualTo(300);
        assertThat(create(caller(ServiceClass.STANDARD, 1, tenantCap, keyCap), HI + "}").sampling().maxTokens()).isEqualTo(200);
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

    @Test
    void toolConversationsReachTheEngineWithTheirCallsAndIds() {
        InferenceJob job = create("""
                {"model":"m","messages":[{"role":"user","content":"Weather?"},
                 {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                   "function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]},
                 {"role":"tool","tool_call_id":"call_1","content":"sunny"}]}""");
        PromptMessage assistant = job.messages().get(1);
        assertThat(assistant.content()).isEmpty();
        assertThat(assistant.toolCalls()).singleElement().satisfies(c -> {
            assertThat(c.id()).isEqualTo("call_1");
            assertThat(c.function().name()).isEqualTo("get_weather");
            assertThat(c.function().arguments()).isEqualTo("{\"city\":\"Paris\"}");
        });
        assertThat(job.messages().get(2).toolCallId()).isEqualTo("call_1");
    }

    @Test
    void generationOptionsCarryWhatTheEngineMustDoAndNothingForPlainText() {
        assertThat(create(HI + "}").options()).isEqualTo(io.switchboard.schema.event.GenerationOptions.DEFAULT);
        InferenceJob job = create(HI + ",\"n\":3,\"logprobs\":true,\"top_logprobs\":4,\"response_format\":{\"type\":\"json_object\"},"
                + "\"min_tokens\":2,\"logit_bias\":{\"7\":5},\"provider\":\"local\"}");
        var o = job.options();
        assertThat(o.n()).isEqualTo(3);
        assertThat(o.logprobs()).isTrue();
        assertThat(o.topLogprobs()).isEqualTo(4);
        assertThat(o.responseFormatType()).isEqualTo("json_object");
        assertThat(o.extensions()).containsOnlyKeys("min_tokens", "logit_bias");
        assertThat(o.needs()).containsExactlyInAnyOrder(io.switchboard.schema.event.Feature.N,
                io.switchboard.schema.event.Feature.LOGPROBS, io.switchboard.schema.event.Feature.JSON_OBJECT,
                io.switchboard.schema.event.Feature.MIN_TOKENS, io.switchboard.schema.event.Feature.LOGIT_BIAS);
        assertThat(job.provider()).isEqualTo("local");
        assertThat(create(HI + ",\"response_format\":{\"type\":\"text\"},\"tools\":[],\"logit_bias\":{}}").options().needs())
                .as("text, no tools and an empty bias need nothing").isEmpty();
    }
}
