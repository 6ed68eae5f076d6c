package io.switchboard.worker.capacity;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.switchboard.schema.event.FailureCode;

/** What a client is told when the engine fails, on a local worker and on a cloud provider's. */
class CloudFailureCodeTest {

    @ParameterizedTest(name = "{0} on a {1} worker -> {2}")
    @CsvSource({
            "ENGINE_UNAVAILABLE, cloud, CLOUD_REQUEST_FAILED",
            "ENGINE_OVERLOADED, cloud, CLOUD_REQUEST_FAILED",
            "ENGINE_TIMEOUT, cloud, CLOUD_REQUEST_FAILED",
            "BAD_ENGINE_OUTPUT, cloud, CLOUD_REQUEST_FAILED",
            "INFERENCE_FAILED, cloud, CLOUD_REQUEST_FAILED",
            "ENGINE_REJECTED_REQUEST, cloud, ENGINE_REJECTED_REQUEST",
            "CONTEXT_LENGTH_EXCEEDED, cloud, CONTEXT_LENGTH_EXCEEDED",
            "ENGINE_UNAVAILABLE, local, ENGINE_UNAVAILABLE",
            "INFERENCE_FAILED, local, INFERENCE_FAILED"})
    void aCloudProvidersOwnFailuresAreCloudRequestFailedWhatTheClientCanFixKeepsItsCode(FailureCode engine, String provider,
            FailureCode told) {
        assertThat(JobRunner.failureCode(engine, provider)).isEqualTo(told);
    }
}
