package io.switchboard.gateway.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.switchboard.testing.InfraTestResource;
import io.switchboard.testing.OpenAiSchemas;

@QuarkusTest
@QuarkusTestResource(InfraTestResource.class)
class ModelsResourceTest {

    @Test
    void listsConfiguredModelsInOpenAiShape() {
        String body = given().header("Authorization", "Bearer sk-test").get("/v1/models")
                .then().statusCode(200).header("x-request-id", notNullValue())
                .body("data.id", hasItem("test-model")).extract().asString();
        OpenAiSchemas.assertValid("ListModelsResponse", body);
    }

    @Test
    void modelIdWithASlashIsFound() {
        given().header("Authorization", "Bearer sk-test").get("/v1/models/org/model-with-slash")
                .then().statusCode(200).body("id", equalTo("org/model-with-slash"));
    }

    @Test
    void unknownModelIs404ModelNotFound() {
        String body = given().header("Authorization", "Bearer sk-test").get("/v1/models/nope")
                .then().statusCode(404).body("error.code", equalTo("model_not_found")).extract().asString();
        OpenAiSchemas.assertValid("ErrorResponse", body);
    }

    @Test
    void modelsNeedAKey() {
        given().header("x-request-id", "client-id-7").get("/v1/models").then().statusCode(401)
                .header("x-request-id", equalTo("client-id-7")).body("error.code", equalTo("invalid_api_key"));
    }

    @Test
    void unknownEndpointIsAnOpenAiStyle404() {
        given().header("Authorization", "Bearer sk-test").get("/v1/nothing-here")
                .then().statusCode(404).body("error.type", equalTo("invalid_request_error"));
    }

    @Test
    void healthIsUpAndCarriesARequestId() {
        given().get("/q/health/live").then().statusCode(200).header("x-request-id", notNullValue());
    }
}
