package io.switchboard.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node KRaft Kafka broker (Apache Kafka from Maven Central, no Docker) in its own JVM,
 * started from the test class path: the same broker {@code deploy/local/run.sh} runs.
 */
public final class KafkaBroker implements AutoCloseable {
    private final int port;
    private final Process process;

    private KafkaBroker(int port, Process process) {
        this.port = port;
        this.process = process;
    }

    public static KafkaBroker start(Path workDir) throws IOException, InterruptedException {
        int port = Ports.free();
        int controllerPort = Ports.free();
        Path dir = workDir.resolve("kafka-" + port);
        Path logs = dir.resolve("data");
        Files.createDirectories(logs);
        Path props = dir.resolve("server.properties");
        Files.writeString(props, String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + logs,
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=true",
                "") + "\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        List<String> jvm = List.of(java, "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", cp);
        List<String> format = new ArrayList<>(jvm);
        format.addAll(List.of("kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(), "-c",
                props.toString(), "--ignore-formatted"));
        File formatLog = dir.resolve("format.log").toFile();
        Process f = new ProcessBuilder(format).redirectErrorStream(true).redirectOutput(formatLog).start();
        if (!f.waitFor(60, TimeUnit.SECONDS) || f.exitValue() != 0) {
            throw new IllegalStateException("kafka storage format failed: " + Files.readString(formatLog.toPath()));
        }
        List<String> run = new ArrayList<>(jvm);
        run.addAll(List.of("kafka.Kafka", props.toString()));
        File log = dir.resolve("broker.log").toFile();
        Process p = new ProcessBuilder(run).redirectErrorStream(true).redirectOutput(log).start();
        KafkaBroker broker = new KafkaBroker(port, p);
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
        Wait.until(Duration.ofSeconds(90), "kafka broker on port " + port, () -> {
            if (!p.isAlive()) {
                throw new IllegalStateException("kafka broker exited: " + Files.readString(log.toPath()));
            }
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000))) {
                admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
                return true;
            }
        });
        return broker;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() {
        Processes.stop(process, Duration.ofSeconds(20));
    }
}
