package io.switchboard.gateway.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Readiness is DOWN while the gateway drains for shutdown, so the load balancer sends it nothing new. */
@Readiness
@ApplicationScoped
public class DrainReadiness implements HealthCheck {
    @Inject
    ShutdownDrain drain;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("gateway-drain").status(!drain.draining())
                .withData("active-answers", drain.activeAnswers()).build();
    }
}
