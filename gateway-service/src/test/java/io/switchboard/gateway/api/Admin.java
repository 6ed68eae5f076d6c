package io.switchboard.gateway.api;

import static io.restassured.RestAssured.given;

import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/** The admin API as a platform team calls it, for the gateway's service tests. */
final class Admin {
    static final String KEY = "sk-admin-test";

    private Admin() {
    }

    static RequestSpecification admin() {
        return given().header("Authorization", "Bearer " + KEY).contentType("application/json");
    }

    /** Creates a tenant from a JSON body; returns the response (201 expected). */
    static Response createTenant(String json) {
        return admin().body(json).post("/admin/v1/tenants");
    }

    /** Creates a key for the tenant (body may be "{}") and returns the key itself, shown once. */
    static String createKey(String tenantId, String json) {
        return admin().body(json).post("/admin/v1/tenants/" + tenantId + "/keys").then().statusCode(201).extract().path("key");
    }

    static String chat(String extra) {
        return "{\"model\":\"test-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]" + extra + "}";
    }
}
