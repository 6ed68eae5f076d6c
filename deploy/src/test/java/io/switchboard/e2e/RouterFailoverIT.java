package io.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.switchboard.testing.Wait;

/**
 * The active router killed with SIGKILL under a steady stream of requests: a standby, which followed the workers'
 * reports all along, takes the lease and reads every job not settled again from Kafka. No request is lost, none ends
 * with an error, and none runs twice (each answer has exactly one finish and as many content chunks as its usage
 * says tokens).
 */
class RouterFailoverIT {
    final Cluster cluster = Cluster.get();

    record Answer(int status, String body, long endedAtNanos) {
    }

    @Test
    void killingTheActiveRouterLosesNoRequestFailsNoneAndRunsNoneTwice() throws Exception {
        ServiceProcess active = cluster.router;
        ServiceProcess standby = cluster.startRouter("router-standby");
        standby.awaitReady(Duration.ofSeconds(90));
        Wait.until(Duration.ofSeconds(20), "the standby follows the workers",
                () -> Cluster.json(standby.get("/router/workers").body()).size() >= 2);
        assertThat(Cluster.json(active.get("/router/leader").body()).get("leader").asBoolean()).isTrue();
        assertThat(Cluster.json(standby.get("/router/leader").body()).get("leader").asBoolean()).isFalse();

        ExecutorService clients = Executors.newFixedThreadPool(4);
        List<Future<List<Answer>>> loops = new ArrayList<>();
        long[] killedAt = new long[1];
        long stopAt = System.nanoTime() + Duration.ofSeconds(9).toNanos();
        for (int c = 0; c < 4; c++) {
            loops.add(clients.submit(() -> {
                List<Answer> answers = new ArrayList<>();
                while (System.nanoTime() < stopAt) {
                    HttpResponse<String> r = cluster.post("""
                            {"model":"%s","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":16,
                             "stream":true,"stream_options":{"include_usage":true}}""".formatted(cluster.modelId));
                    answers.add(new Answer(r.statusCode(), r.body(), System.nanoTime()));
                }
                return answers;
            }));
        }
        Thread.sleep(2000);
        killedAt[0] = System.nanoTime();
        active.kill();
        cluster.replaceRouter(standby);
        Wait.until(Duration.ofSeconds(5), "the standby takes the lease within 5 s",
                () -> Cluster.json(standby.get("/router/leader").body()).get("leader").asBoolean());

        List<Answer> answers = new ArrayList<>();
        for (Future<List<Answer>> f : loops) {
            answers.addAll(f.get(120, TimeUnit.SECONDS));
        }
        clients.shutdown();

        assertThat(answers).hasSizeGreaterThan(8);
        long afterKill = answers.stream().filter(a -> a.endedAtNanos() > killedAt[0]).count();
        assertThat(afterKill).as("requests answered after the kill").isPositive();
        for (Answer a : answers) {
            assertThat(a.status()).as(a.body()).isEqualTo(200);
            assertCompleteOnce(a.body());
        }
        long firstAfter = answers.stream().mapToLong(Answer::endedAtNanos).filter(t -> t > killedAt[0]).min().orElseThrow();
        assertThat(Duration.ofNanos(firstAfter - killedAt[0])).as("first answer after the kill").isLessThan(Duration.ofSeconds(5));
    }

    /** One finish, no error, the [DONE] marker, and as many content chunks as completion tokens. */
    static void assertCompleteOnce(String sse) throws java.io.IOException {
        List<String> data = sse.lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertThat(data).as(sse).last().isEqualTo("[DONE]");
        int finishes = 0;
        int contentChunks = 0;
        Integer completionTokens = null;
        for (String d : data.subList(0, data.size() - 1)) {
            JsonNode chunk = Cluster.json(d);
            assertThat(chunk.has("error")).as(sse).isFalse();
            for (JsonNode choice : chunk.path("choices")) {
                if (!choice.path("finish_reason").isNull() && !choice.path("finish_reason").isMissingNode()) {
                    finishes++;
                }
                if (choice.path("delta").hasNonNull("content") && !choice.path("delta").get("content").asText().isEmpty()) {
                    contentChunks++;
                }
            }
            if (chunk.hasNonNull("usage")) {
                completionTokens = chunk.get("usage").get("completion_tokens").asInt();
            }
        }
        assertThat(finishes).as(sse).isEqualTo(1);
        assertThat(completionTokens).as(sse).isNotNull();
        assertThat(contentChunks).as(sse).isLessThanOrEqualTo(completionTokens);
    }
}
