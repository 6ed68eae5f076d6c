package io.switchboard.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import io.switchboard.chaos.ChaosDriver.Action;
import io.switchboard.chaos.ChaosDriver.Fault;
import io.switchboard.chaos.ChaosDriver.Row;
import io.switchboard.chaos.ChaosDriver.Settings;
import io.switchboard.testing.Ports;
import io.switchboard.testing.Wait;

/**
 * The short version of {@code deploy/chaos/run.sh}: the platform as {@code deploy/local/run.sh} runs it (simulated
 * engine, 2 workers, 2 routers, its supervisor restarting what exits), on processes of its own, under a steady mixed
 * load of 20 requests/s; three faults with short windows, each of which must leave no request lost, duplicated or
 * hung, and let requests complete again within the recovery target (see {@link ChaosDriver} for the definitions).
 * Each window's rows and every request go to {@code deploy/target/chaos-it/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosIT {
    static final double RATE = 20;
    static final Duration WARMUP = Duration.ofSeconds(4);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);

    Path root;
    Path dir;
    Path runDir;
    Process platform;
    ChaosDriver driver;

    @BeforeAll
    void startThePlatform() throws IOException {
        root = Path.of("..").toAbsolutePath().normalize();
        dir = root.resolve("deploy/target/chaos-it");
        deleteRecursively(dir);
        Files.createDirectories(dir);
        runDir = dir.resolve("platform");
        int port = Ports.free();
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("deploy/local/run.sh").toString())
                .directory(root.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("platform.out").toFile());
        Map<String, String> env = pb.environment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("SWITCHBOARD_ENGINE", "simulated");
        env.put("SWITCHBOARD_WORKERS", "2");
        env.put("SWITCHBOARD_ROUTERS", "2");
        env.put("SWITCHBOARD_SLOTS", "8");
        env.put("SWITCHBOARD_RUN_DIR", runDir.toString());
        env.put("SWITCHBOARD_PORT", String.valueOf(port));
        env.put("SWITCHBOARD_ROUTER_PORT", String.valueOf(Ports.free()));
        env.put("SWITCHBOARD_REDIS_PORT", String.valueOf(Ports.free()));
        env.put("SWITCHBOARD_KAFKA_PORT", String.valueOf(Ports.free()));
        env.put("SWITCHBOARD_RESTART_BACKOFF", "0.5");
        // a fresh run directory each time: with AOT caches every service would record one and write it as it stops
        env.put("SWITCHBOARD_AOT_CACHE", "0");
        // the services are packaged by this build, and the broker comes from this test class path: never Maven again
        env.put("SWITCHBOARD_SKIP_BUILD", "1");
        env.put("SWITCHBOARD_KAFKA_CLASSPATH", System.getProperty("java.class.path"));
        env.put("SWITCHBOARD_GATEWAY_REQUEST_TIMEOUT", REQUEST_TIMEOUT.toSeconds() + "s");
        platform = pb.start();
        Wait.until(Duration.ofSeconds(180), "deploy/local/run.sh serving", () -> {
            if (!platform.isAlive()) {
                throw new IllegalStateException("run.sh exited: " + Files.readString(dir.resolve("platform.out")));
            }
            return Files.readString(dir.resolve("platform.out")).contains("Switchboard is serving");
        });
        driver = new ChaosDriver(Settings.defaults(URI.create("http://127.0.0.1:" + port), runDir)
                .withLoad(RATE, WARMUP, Duration.ofSeconds(12)).withTimeouts(REQUEST_TIMEOUT, Duration.ofSeconds(5))
                .withPrime(Duration.ofSeconds(5)).withDetails(dir.resolve("requests.tsv")));
    }

    @AfterAll
    void stopThePlatform() throws Exception {
        if (driver != null) {
            driver.close();
        }
        if (platform == null) {
            return;
        }
        for (String service : List.of("kafka", "redis")) { // a paused one could not stop
            Path pid = runDir.resolve("pids").resolve(service + ".pid");
            if (Files.exists(pid)) {
                ChaosDriver.signal(Long.parseLong(Files.readString(pid).trim()), "CONT");
            }
        }
        platform.destroy(); // SIGTERM: run.sh stops everything it started
        if (!platform.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            platform.destroyForcibly();
        }
    }

    @Test
    @Order(1)
    void aWorkerKilledMidLoadLosesNoRequest() throws Exception {
        Row row = inject(new Fault("worker", Action.KILL), Duration.ofSeconds(12));

        assertMeetsTheTargets(row);
    }

    @Test
    @Order(2)
    void theStandbyRouterTakesOverFromAKilledActiveRouter() throws Exception {
        Row row = inject(new Fault("router", Action.KILL), Duration.ofSeconds(12));

        assertMeetsTheTargets(row);
    }

    @Test
    @Order(3)
    void kafkaPausedForTenSecondsHangsNoRequest() throws Exception {
        Row row = inject(new Fault("kafka", Action.PAUSE), Duration.ofSeconds(20));

        assertMeetsTheTargets(row);
    }

    private Row inject(Fault fault, Duration tail) throws Exception {
        Row row = driver.inject(fault, tail);
        Files.writeString(dir.resolve("table.md"), (Files.exists(dir.resolve("table.md")) ? "" : Row.HEADER + "\n")
                + row.markdown() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return row;
    }

    private static void assertMeetsTheTargets(Row row) {
        String what = row.fault().label() + " of " + row.target() + " (timeline " + row.timeline() + "; "
                + row.errorsText() + ")";
        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(row.sent()).as("requests sent in the window").isGreaterThan(0);
        soft.assertThat(row.lost()).as("lost requests, " + what).isZero();
        soft.assertThat(row.duplicated()).as("duplicated requests, " + what).isZero();
        soft.assertThat(row.hung()).as("hung requests, " + what).isZero();
        Double target = row.fault().recoveryTargetS();
        soft.assertThat(row.recoveryS()).as("recovery (s), " + what).isNotNull();
        if (row.recoveryS() != null && target != null) {
            soft.assertThat(row.recoveryS()).as("recovery (s), " + what).isLessThanOrEqualTo(target);
        }
        soft.assertAll();
        assertThat(row.missed()).isEmpty();
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> all = Files.walk(path)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
