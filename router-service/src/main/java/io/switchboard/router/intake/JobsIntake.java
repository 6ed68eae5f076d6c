package io.switchboard.router.intake;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.switchboard.router.RouterConfig;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.wire.EventDeserializers;
import io.switchboard.schema.wire.Topics;

/**
 * The active router's read of the jobs topic. It takes every partition itself (no consumer-group rebalance to wait
 * for when a standby takes over), starts from the committed offsets, and commits each partition only up to its oldest
 * job whose fate is not settled ({@link PendingOffsets}), every {@code commit-interval}. While more than
 * {@code max-unsettled-jobs} are open it stops reading. Runs on a thread of its own between {@link #start} (elected)
 * and {@link #stop} (demoted or shutting down). Gauge: {@code switchboard_router_unsettled_jobs}.
 */
@ApplicationScoped
public class JobsIntake {
    private static final Logger LOG = Logger.getLogger(JobsIntake.class);
    /** The consumer group whose committed offsets the active router keeps (no member joins it). */
    static final String GROUP = "switchboard-router";
    /** The poll's timeout while nothing is left to settle or commit. */
    static final Duration IDLE_POLL = Duration.ofSeconds(1);

    /** Where one job record came from, to settle it. */
    public record Delivery(int partition, long offset) {
    }

    /** Receives each job read, with its delivery; called on the intake thread. */
    public interface Sink {
        void job(InferenceJob job, Delivery delivery);
    }

    @Inject
    RouterConfig config;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private final AtomicInteger unsettled = new AtomicInteger();
    /** The current read (one per term as the active router), or null. */
    private Run current;

    /** One term's read: its own thread, stop flag and settled queue, so a late old thread can disturb nothing. */
    private final class Run {
        final Queue<Delivery> settled = new ConcurrentLinkedQueue<>();
        volatile boolean running = true;
        volatile KafkaConsumer<String, InferenceJob> consumer;
        Thread thread;
    }

    /** From a job's Kafka record time (the gateway's publish) to the router reading it: the Kafka hop. */
    private io.micrometer.core.instrument.Timer intakeDelay;

    @Inject
    void metrics(MeterRegistry registry) {
        Gauge.builder("switchboard_router_unsettled_jobs", unsettled, AtomicInteger::get)
                .description("Jobs read from Kafka whose fate is not settled yet (queued, or assigned and unanswered)")
                .register(registry);
        intakeDelay = io.micrometer.core.instrument.Timer.builder("switchboard_router_intake_delay")
                .description("From a job's Kafka record time (published by the gateway) to the router reading it")
                .publishPercentiles(0.5, 0.9, 0.99).register(registry);
    }

    public synchronized void start(Sink sink) {
        if (current != null) {
            return;
        }
        Run run = new Run();
        run.thread = Thread.ofPlatform().name("jobs-intake").daemon().start(() -> run(run, sink));
        current = run;
    }

    /** Stops reading, after committing what is settled; jobs not settled are read again by the next active router. */
    public synchronized void stop() {
        Run run = current;
        if (run == null) {
            return;
        }
        current = null;
        run.running = false;
        KafkaConsumer<String, InferenceJob> c = run.consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            run.thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The job of this delivery is settled; thread-safe. A delivery of an earlier term is ignored. */
    public void settled(Delivery delivery) {
        Run run = current;
        if (run != null) {
            run.settled.add(delivery);
        }
    }

    private void run(Run run, Sink sink) {
        PendingOffsets pending = new PendingOffsets();
        while (run.running) {
            try (KafkaConsumer<String, InferenceJob> c = new KafkaConsumer<>(properties())) {
                run.consumer = c;
                List<TopicPartition> partitions = c.partitionsFor(Topics.JOBS, Duration.ofSeconds(10)).stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                if (partitions.isEmpty()) {
                    throw new IllegalStateException("topic " + Topics.JOBS + " has no partitions yet");
                }
                c.assign(partitions);
                LOG.infof("reading %s from its committed offsets (%d partitions)", Topics.JOBS, partitions.size());
                long lastCommit = 0;
                boolean paused = false;
                while (run.running) {
                    for (Delivery d; (d = run.settled.poll()) != null;) {
                        pending.settled(d.partition(), d.offset());
                    }
                    unsettled.set(pending.unsettled());
                    long now = System.currentTimeMillis();
                    if (now - lastCommit >= config.commitInterval().toMillis()) {
                        commit(c, pending);
                        lastCommit = now;
                    }
                    boolean full = pending.unsettled() > config.maxUnsettledJobs();
                    if (full != paused) {
                        if (full) {
                            c.pause(partitions);
                            LOG.warnf("%d jobs not settled: reading paused", pending.unsettled());
                        } else {
                            c.resume(partitions);
                        }
                        paused = full;
                    }
                    // a job wakes the poll at once; the timeout only paces the commits of what was settled meanwhile,
                    // so with nothing to settle or commit it is long: an idle router wakes once a second here, not 5
                    Duration wait = pending.idle() && run.settled.isEmpty() ? IDLE_POLL : config.commitInterval();
                    for (ConsumerRecord<String, InferenceJob> r : c.poll(wait)) {
                        pending.delivered(r.partition(), r.offset());
                        Delivery delivery = new Delivery(r.partition(), r.offset());
                        if (r.value() == null) {
                            run.settled.add(delivery); // undecodable: nothing to run
                        } else {
                            if (intakeDelay != null) {
                                intakeDelay.record(Math.max(0, System.currentTimeMillis() - r.timestamp()),
                                        java.util.concurrent.TimeUnit.MILLISECONDS);
                            }
                            sink.job(r.value(), delivery);
                        }
                    }
                }
                for (Delivery d; (d = run.settled.poll()) != null;) {
                    pending.settled(d.partition(), d.offset());
                }
                commit(c, pending);
            } catch (WakeupException e) {
                // stop() woke the consumer up
            } catch (RuntimeException e) {
                if (run.running) {
                    LOG.warnf("reading %s failed, starting again: %s", Topics.JOBS, e.getMessage());
                    // read again from the committed offsets; what is open stays open until settled
                    pending.uncommitted();
                    pause();
                }
            } finally {
                run.consumer = null;
            }
        }
        unsettled.set(0);
    }

    private static void commit(KafkaConsumer<String, InferenceJob> c, PendingOffsets pending) {
        Map<Integer, Long> offsets = pending.toCommit();
        if (offsets.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        offsets.forEach((p, o) -> commit.put(new TopicPartition(Topics.JOBS, p), new OffsetAndMetadata(o)));
        c.commitAsync(commit, (done, e) -> {
            if (e != null) {
                // called back on this thread, inside poll: the next commit sends every partition again
                pending.uncommitted();
                LOG.debugf("commit of %s failed (the next one sends it again): %s", commit, e.getMessage());
            }
        });
    }

    private Properties properties() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, EventDeserializers.Jobs.class.getName());
        // the broker answers a fetch as soon as a job arrives: the wait bounds only idle fetches (and idle CPU)
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "5000");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return p;
    }

    private static void pause() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
