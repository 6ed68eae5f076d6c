package io.switchboard.worker.engine.openai;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Reading the upstream's Prometheus text. */
class PrometheusTextTest {
    @Test
    void samplesAreSummedOverLabelSetsAndCommentsSkipped() {
        var m = PrometheusText.parse("""
                # HELP vllm:num_requests_running Number of requests running.
                # TYPE vllm:num_requests_running gauge
                vllm:num_requests_running{model_name="a"} 2.0
                vllm:num_requests_running{model_name="b",engine="0"} 3.0
                vllm:gpu_cache_usage_perc{model_name="a"} 0.25
                llamacpp:requests_deferred 4
                broken line
                """);
        assertThat(m).containsEntry("vllm:num_requests_running", 5.0).containsEntry("vllm:gpu_cache_usage_perc", 0.25)
                .containsEntry("llamacpp:requests_deferred", 4.0).hasSize(3);
    }
}
