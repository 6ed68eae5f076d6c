package io.switchboard.gateway.api;

import static io.restassured.RestAssured.given;
import static io.switchboard.gateway.api.Admin.admin;
import static io.switchboard.gateway.api.Admin.createKey;
import static io.switchboard.gateway.api.Admin.createTenant;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.switchboard.testing.InfraTestResource;

/** The admin API on a real Redis: tenants and keys are created, narrowed, listed without secrets and revoked. */
@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
class TenancyAdminApiTest {

    static String newId() {
        return "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void aCreatedKeyWorksAtOnceAndIsShownOnlyOnce() {
        String id = newId();
        createTenant("{\"id\":\"" + id + "\",\"name\":\"Team\",\"class\":\"critical\",\"weight\":2,"
                + "\"limits\":{\"requests_per_minute\":100}}")
                .then().statusCode(201).body("id", equalTo(id)).body("object", equalTo("tenant"))
                .body("class", equalTo("critical")).body("weight", equalTo(2.0f))
                .body("limits.requests_per_minute", equalTo(100)).body("source", equalTo("api"));
        String key = createKey(id, "{\"name\":\"ci\"}");
        assertThat(key).matches("sk-sb-[A-Za-z0-9_-]{43}");

        given().header("Authorization", "Bearer " + key).get("/v1/models").then().statusCode(200);

        String listing = admin().get("/admin/v1/tenants/" + id + "/keys").then().statusCode(200)
                .body("data[0].prefix", equalTo(key.substring(0, 12))).body("data[0].key", nullValue())
                .body("data[0].sha256", nullValue()).extract().asString();
        assertThat(listing).doesNotContain(key).doesNotContain(key.substring(12));
    }

    @Test
    void aRevokedKeyIsRefusedWithinOneSecond() {
        String id = newId();
        createTenant("{\"id\":\"" + id + "\"}").then().statusCode(201);
        String key = createKey(id, "{}");
        String keyId = admin().get("/admin/v1/tenants/" + id + "/keys").then().extract().path("data[0].id");
        given().header("Authorization", "Bearer " + key).get("/v1/models").then().statusCode(200);

        long revokedAt = System.nanoTime();
        admin().delete("/admin/v1/keys/" + keyId).then().statusCode(200).body("deleted", equalTo(true));
        Awaitility.await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> given().header("Authorization", "Bearer " + key).get("/v1/models").statusCode() == 401);
        assertThat(Duration.ofNanos(System.nanoTime() - revokedAt)).isLessThan(Duration.ofSeconds(1));
        admin().get("/admin/v1/tenants/" + id + "/keys").then().body("data[0].revoked_at", notNullValue());
    }

    @Test
    void deletingATenantRevokesItsKeys() {
        String id = newId();
        createTenant("{\"id\":\"" + id + "\"}").then().statusCode(201);
        String key = createKey(id, "{}");
        admin().delete("/admin/v1/tenants/" + id).then().statusCode(200).body("object", equalTo("tenant.deleted"));
        given().header("Authorization", "Bearer " + key).get("/v1/models").then().statusCode(401);
        admin().get("/admin/v1/tenants/" + id).then().statusCode(404).body("error.code", equalTo("not_found"));
    }

    @Test
    void aPatchMergesAndNullRemovesALimit() {
        String id = newId();
        createTenant("{\"id\":\"" + id + "\",\"limits\":{\"requests_per_minute\":10,\"tokens_per_day\":1000}}").then().statusCode(201);
        admin().body("{\"class\":\"batch\",\"limits\":{\"requests_per_minute\":null,\"tokens_per_minute\":500}}")
                .patch("/admin/v1/tenants/" + id).then().statusCode(200)
                .body("class", equalTo("batch")).body("limits.requests_per_minute", nullValue())
                .body("limits.tokens_per_minute", equalTo(500)).body("limits.tokens_per_day", equalTo(1000));
        admin().body("{\"weight\":-3}").patch("/admin/v1/tenants/" + id).then().statusCode(400)
                .body("error.param", equalTo("weight"));
    }

    @Test
    void aKeyThatWouldWidenItsTenantIsRefused() {
        String id = newId();
        createTenant("{\"id\":\"" + id + "\",\"models\":[\"test-model\"],\"limits\":{\"requests_per_minute\":10}}")
                .then().statusCode(201);
        admin().body("{\"limits\":{\"requests_per_minute\":11}}").post("/admin/v1/tenants/" + id + "/keys")
                .then().statusCode(400).body("error.param", equalTo("limits.requests_per_minute"));
        admin().body("{\"models\":[\"org/model-with-slash\"]}").post("/admin/v1/tenants/" + id + "/keys")
                .then().statusCode(400).body("error.param", equalTo("models"));
    }

    @Test
    void aKeyLimitedToOneModelSeesOnlyThatModel() {
        String id = newId();
        createTenant("{\"id\":\"" + id + "\"}").then().statusCode(201);
        String key = createKey(id, "{\"models\":[\"test-model\"]}");
        given().header("Authorization", "Bearer " + key).get("/v1/models").then().statusCode(200)
                .body("data.id", equalTo(List.of("test-model")));
        given().header("Authorization", "Bearer " + key).get("/v1/models/org/model-with-slash").then().statusCode(404);
        given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body("{\"model\":\"org/model-with-slash\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .post("/v1/chat/completions").then().statusCode(404).body("error.code", equalTo("model_not_found"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "id with spaces|{\"id\":\"Team A\"}|id",
            "missing id|{\"name\":\"x\"}|id",
            "unknown class|{\"id\":\"x1\",\"class\":\"gold\"}|class",
            "negative weight|{\"id\":\"x2\",\"weight\":-1}|weight",
            "negative limit|{\"id\":\"x3\",\"limits\":{\"tokens_per_minute\":-5}}|limits.tokens_per_minute",
            "limit of the wrong type|{\"id\":\"x4\",\"limits\":{\"requests_per_minute\":\"many\"}}|limits.requests_per_minute",
            "keys in a tenant body|{\"id\":\"x5\",\"keys\":[]}|keys",
    })
    void aBadTenantBodyIs400NamingTheParam(String why, String body, String param) {
        createTenant(body).then().statusCode(400).body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo(param));
    }

    @Test
    void aTenantOfTheTenantsFileCannotBeChangedThroughTheApi() {
        admin().body("{\"weight\":5}").patch("/admin/v1/tenants/test").then().statusCode(409);
        admin().delete("/admin/v1/tenants/test").then().statusCode(409);
        admin().delete("/admin/v1/keys/key_test").then().statusCode(409);
        admin().get("/admin/v1/tenants").then().statusCode(200).body("data.id", hasItem("test"));
        createTenant("{\"id\":\"test\"}").then().statusCode(409);
    }

    @Test
    void noSpellingOfTheAdminPathLetsATenantKeyIn() {
        for (String path : List.of("/admin/v1/tenants", "//admin/v1/tenants", "/admin;x=1/v1/tenants", "/admin/v1/./tenants",
                "/ADMIN/v1/tenants", "/admin/v1/tenants/")) {
            int status = given().header("Authorization", "Bearer sk-test").get(path).statusCode();
            assertThat(status).as(path).isIn(401, 404);
        }
    }

    @Test
    void theAdminApiTakesOnlyTheAdminKey() {
        given().get("/admin/v1/tenants").then().statusCode(401).body("error.code", equalTo("invalid_api_key"));
        given().header("Authorization", "Bearer sk-test").get("/admin/v1/tenants").then().statusCode(401);
        given().header("Authorization", "Bearer wrong").get("/admin/v1/tenants").then().statusCode(401)
                .body("error.message", not(org.hamcrest.Matchers.containsString("wrong")));
    }
}
