package io.switchboard.gateway.api;

import static io.restassured.RestAssured.given;
import static io.switchboard.gateway.api.Admin.admin;
import static io.switchboard.gateway.api.Admin.createKey;
import static io.switchboard.gateway.api.Admin.createTenant;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.switchboard.gateway.tenancy.TenantStore;
import io.switchboard.testing.InfraTestResource;

/**
 * A change made by another gateway replica (written to Redis without this gateway's admin API, which reloads at once)
 * reaches this gateway through Redis pub/sub. The suite's backstop poll runs once an hour
 * ({@code listening-refresh-interval}), so while notices arrive only a notice can bring the change in time.
 */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
class TenancyChangeNoticesTest {
    private static final String LISTENER_UP = "switchboard_tenancy_change_listener_up";
    private static final String NOTICES = "switchboard_tenancy_change_notices_total";

    @Inject
    TenantStore store;

    @Inject
    RedisDataSource redis;

    @Test
    void aKeyRevokedByAnotherReplicaIsRefusedAsTheNoticeArrives() {
        awaitListening();
        revokedElsewhereIsRefusedByNotice();
    }

    @Test
    void whileNoticesCannotArriveRedisIsPolledFastAndListeningResumes() {
        awaitListening();
        Active key = activeKey();

        assertThat(redis.execute("CLIENT", "KILL", "TYPE", "pubsub").toLong()).isPositive();
        Awaitility.await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10))
                .until(() -> Metrics.value(LISTENER_UP) == 0.0);
        revokeElsewhere(key);

        // the poll every refresh-interval (250 ms) while not listening, before subscribing again (1 s after the loss)
        Awaitility.await().atMost(Duration.ofMillis(800)).pollInterval(Duration.ofMillis(20)).until(() -> refused(key));
        awaitListening();
        revokedElsewhereIsRefusedByNotice();
    }

    /** A new key revoked in Redis by "another replica" is refused within a second, and a notice came meanwhile. */
    private void revokedElsewhereIsRefusedByNotice() {
        Active key = activeKey();
        double noticesBefore = Metrics.value(NOTICES);
        revokeElsewhere(key);
        Awaitility.await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20)).until(() -> refused(key));
        assertThat(Metrics.value(NOTICES)).isGreaterThan(noticesBefore);
    }

    private static void awaitListening() {
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> Metrics.value(LISTENER_UP) == 1.0);
    }

    /** A key (the secret and its id) of a new tenant, accepted. */
    private record Active(String secret, String id) {
    }

    private static Active activeKey() {
        String tenant = "t-" + UUID.randomUUID().toString().substring(0, 8);
        createTenant("{\"id\":\"" + tenant + "\"}").then().statusCode(201);
        String secret = createKey(tenant, "{}");
        given().header("Authorization", "Bearer " + secret).get("/v1/models").then().statusCode(200);
        return new Active(secret, admin().get("/admin/v1/tenants/" + tenant + "/keys").then().extract().path("data[0].id"));
    }

    private static boolean refused(Active key) {
        return given().header("Authorization", "Bearer " + key.secret()).get("/v1/models").statusCode() == 401;
    }

    /** Revokes {@code key} in Redis the way another gateway's admin API would, without telling this one. */
    private void revokeElsewhere(Active key) {
        store.putKey(store.key(key.id()).orElseThrow().revoked(System.currentTimeMillis() / 1000));
    }
}
