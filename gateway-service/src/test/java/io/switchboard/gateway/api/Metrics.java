package io.switchboard.gateway.api;

import static io.restassured.RestAssured.given;

/** Reads one sample of the gateway's Prometheus metrics, as a scraper would. */
final class Metrics {
    private Metrics() {
    }

    /** The value of the sample whose line starts with {@code series} (name and labels as Prometheus prints them); 0 if none. */
    static double value(String series) {
        for (String line : given().get("/q/metrics").then().statusCode(200).extract().asString().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }
}
