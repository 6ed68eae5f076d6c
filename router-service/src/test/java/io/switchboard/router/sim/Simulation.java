package io.switchboard.router.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;

import io.switchboard.router.admission.FlowMetrics;
import io.switchboard.router.admission.FlowPolicy;
import io.switchboard.router.dispatch.Action;
import io.switchboard.router.dispatch.Dispatcher;
import io.switchboard.router.scheduling.LeastLoadedScorer;
import io.switchboard.router.scheduling.Placement;
import io.switchboard.router.scheduling.PlacementProducer;
import io.switchboard.router.scheduling.PrefixAffinityScorer;
import io.switchboard.router.scheduling.PromptBlocks;
import io.switchboard.router.scheduling.Scorer;
import io.switchboard.schema.event.AssignmentReply;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.PromptMessage;
import io.switchboard.schema.event.SamplingParams;
import io.switchboard.schema.event.ServiceClass;
import io.switchboard.schema.event.WorkerHeartbeat;

/**
 * A discrete-event simulation of one scenario under one policy, in virtual time (nothing sleeps): tenants' arrivals,
 * the router's real {@link Dispatcher} (flow control, and {@link Placement} with the real scorers) fed every input with
 * the virtual clock, and simulated workers. A worker runs up to its slots at once; it prefills one prompt at a time at
 * {@code prefill-tps} tokens/s, skipping the prefix its cache holds (an LRU of the same 64-character block hashes the
 * router uses, {@code cache-blocks} of them, filled as prompts are prefilled), then emits a job's output at
 * {@code decode-tps} tokens/s per sequence. The first token comes when its prefill ends. Prefills run in the order
 * jobs reached the worker, or, with {@code priority-prefill} (a what-if: the real worker has no such order), highest
 * band first. Deterministic for a seed.
 */
final class Simulation {
    /** Tokens per prompt block: 64 characters at the router's four characters a token. */
    static final int BLOCK_TOKENS = PromptBlocks.BLOCK_CHARS / 4;
    static final long HEARTBEAT_MS = 1000;
    static final long TICK_MS = 200;
    static final long WORKER_TIMEOUT_MS = 3000;

    /** How the router decides; every policy sees the same arrivals (per-tenant seeded streams). */
    enum Policy {
        /** The real flow control and the scenario's scorers. */
        SWITCHBOARD("switchboard"),
        /** The real dispatcher with every job as one tenant, one band: a single queue in arrival order; same scorers. */
        FCFS("fcfs"),
        /** The classic balancer: each job to the next worker in turn on arrival, queued at the worker when it is full. */
        ROUND_ROBIN("round-robin"),
        /** The real flow control, placement by {@code least-loaded} alone. */
        LOAD_ONLY("load-only"),
        /** The real flow control, placement round-robin among the workers with a free slot. */
        ROUND_ROBIN_FREE("rr-free-slot");

        final String label;

        Policy(String label) {
            this.label = label;
        }
    }

    private record Event(double at, long seq, Runnable action) {
    }

    static final class Job {
        final String id;
        final Tenant tenant;
        final double arrivedAt;
        final int promptTokens;
        final int outputTokens;
        final InferenceJob job;
        long[] blocks;
        double startedAt = -1;
        double firstTokenAt = -1;
        Worker worker;

        Job(String id, Tenant tenant, double arrivedAt, int promptTokens, int outputTokens, InferenceJob job) {
            this.id = id;
            this.tenant = tenant;
            this.arrivedAt = arrivedAt;
            this.promptTokens = promptTokens;
            this.outputTokens = outputTokens;
            this.job = job;
        }
    }

    final class Worker {
        final String id;
        final Scenario.WorkerSpec spec;
        final LinkedHashMap<Long, Boolean> cache;
        final ArrayDeque<Job> waiting = new ArrayDeque<>();
        final ArrayDeque<Job> prefills = new ArrayDeque<>();
        final Set<String> running = new LinkedHashSet<>();
        boolean prefilling;
        boolean dead;

        Worker(String id, Scenario.WorkerSpec spec) {
            this.id = id;
            this.spec = spec;
            this.cache = new LinkedHashMap<>(1024, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
                    return size() > spec.cacheBlocks();
                }
            };
        }
    }

    /** A tenant's arrival stream and its share of the results. */
    final class Tenant {
        final Scenario.TenantSpec spec;
        final Random random;
        final Result.TenantStats stats;
        final List<String> prefixTexts = new ArrayList<>();
        double onTime;
        int seq;
        int waiting;

        Tenant(Scenario.TenantSpec spec, int index) {
            this.spec = spec;
            this.random = new Random(scenario.seed() * 1_000_003L + index * 7919L);
            this.stats = result.tenant(spec);
            for (int k = 0; k < spec.prefixes(); k++) {
                prefixTexts.add(text("[" + spec.id() + " system prompt " + k + "] ", spec.prefixTokens() * 4));
            }
        }

        /** The wall time of the next arrival, or NaN when the tenant sends nothing more. */
        double next() {
            if (spec.rate() <= 0) {
                return Double.NaN;
            }
            boolean bursty = spec.arrival().equals("bursty");
            double on = spec.burstOnS() * 1000;
            double off = spec.burstOffS() * 1000;
            double rate = spec.rate() / 1000 * (bursty ? (on + off) / on : 1);
            onTime += -Math.log(1 - random.nextDouble()) / rate;
            double wall = bursty ? Math.floor(onTime / on) * (on + off) + onTime % on : onTime;
            wall += spec.startS() * 1000;
            return wall >= Math.min(spec.stopS() * 1000, scenario.durationS() * 1000) ? Double.NaN : wall;
        }
    }

    private final Scenario scenario;
    private final Policy policy;
    private final Result result;
    private final PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> a.at != b.at ? Double.compare(a.at, b.at)
            : Long.compare(a.seq, b.seq));
    private final Map<String, Job> jobs = new HashMap<>();
    private final Map<String, Worker> workers = new LinkedHashMap<>();
    private final List<Tenant> tenants = new ArrayList<>();
    private final Dispatcher dispatcher;
    private final FlowPolicy flow;
    private double now;
    private long seq;
    private int roundRobin;

    Simulation(Scenario scenario, Policy policy) {
        this.scenario = scenario;
        this.policy = policy;
        this.result = new Result(scenario, policy);
        int tenantCap = policy == Policy.FCFS ? scenario.maxQueuedPerTenant() * Math.max(1, scenario.tenants().size())
                : scenario.maxQueuedPerTenant();
        FlowPolicy configured = new FlowPolicy(scenario.batchMaxWaitMs(), 1.0, 2.0, tenantCap, scenario.maxQueuedPerModel());
        // the baselines are other systems' ways: no slots held back for critical jobs
        this.flow = policy == Policy.SWITCHBOARD ? configured : configured.withCriticalReserve(0);
        for (Scenario.WorkerSpec spec : scenario.workers()) {
            for (int i = 0; i < spec.count(); i++) {
                String id = spec.count() == 1 ? spec.id() : spec.id() + "-" + i;
                workers.put(id, new Worker(id, spec));
            }
        }
        this.dispatcher = switch (policy) {
            case ROUND_ROBIN -> null;
            case ROUND_ROBIN_FREE -> new Dispatcher(new Placement(List.of(new Placement.WeightedScorer(
                    new RoundRobinScorer(List.copyOf(workers.keySet())), 1)), new Random(scenario.seed())), WORKER_TIMEOUT_MS,
                    10_000, flow, FlowMetrics.NONE, scenario.prefixIndexBlocks());
            case LOAD_ONLY -> new Dispatcher(placement(List.of(LeastLoadedScorer.NAME + ":1")), WORKER_TIMEOUT_MS, 10_000,
                    flow, FlowMetrics.NONE, scenario.prefixIndexBlocks());
            default -> new Dispatcher(placement(scenario.scorers()), WORKER_TIMEOUT_MS, 10_000, flow, FlowMetrics.NONE,
                    scenario.prefixIndexBlocks());
        };
        for (int i = 0; i < scenario.tenants().size(); i++) {
            tenants.add(new Tenant(scenario.tenants().get(i), i));
        }
    }

    private Placement placement(List<String> names) {
        Map<String, Scorer> known = Map.of(LeastLoadedScorer.NAME, new LeastLoadedScorer(), PrefixAffinityScorer.NAME,
                new PrefixAffinityScorer(), io.switchboard.router.scheduling.RecentStartScorer.NAME,
                new io.switchboard.router.scheduling.RecentStartScorer());
        return new Placement(PlacementProducer.weighted(names, n -> java.util.Optional.ofNullable(known.get(n))),
                new Random(scenario.seed()));
    }

    Result run() {
        for (Worker w : workers.values()) {
            heartbeat(w);
            if (w.spec.failAtS() >= 0) {
                at(w.spec.failAtS() * 1000, () -> fail(w));
            }
        }
        for (Tenant t : tenants) {
            scheduleArrival(t);
        }
        at(TICK_MS, this::tick);
        double end = scenario.durationS() * 1000;
        double hardStop = end + 900_000;
        while (!events.isEmpty()) {
            Event e = events.poll();
            now = e.at;
            if (now > hardStop || (now > end && jobs.isEmpty())) {
                break;
            }
            e.action.run();
        }
        result.finish(now);
        return result;
    }

    private void at(double when, Runnable action) {
        events.add(new Event(when, seq++, action));
    }

    private boolean inWindow(double t) {
        return t >= scenario.warmupS() * 1000 && t <= scenario.durationS() * 1000;
    }

    private void scheduleArrival(Tenant t) {
        double when = t.next();
        if (!Double.isNaN(when)) {
            at(when, () -> arrive(t));
        }
    }

    private void arrive(Tenant t) {
        scheduleArrival(t);
        Scenario.TenantSpec spec = t.spec;
        String id = spec.id() + "-" + t.seq++;
        int prompt = spec.promptTokens().sample(t.random);
        int output = spec.outputTokens().sample(t.random);
        List<PromptMessage> messages = new ArrayList<>();
        int own = prompt;
        if (spec.prefixTokens() > 0 && t.random.nextDouble() < spec.sharedPrefixFraction()) {
            messages.add(new PromptMessage("system", t.prefixTexts.get(t.random.nextInt(t.prefixTexts.size()))));
            own = Math.max(4, prompt - spec.prefixTokens());
            prompt = own + spec.prefixTokens();
        }
        messages.add(new PromptMessage("user", text("<" + id + "> ", own * 4)));
        long deadline = (long) (now + scenario.timeoutS() * 1000);
        boolean single = policy == Policy.FCFS || policy == Policy.ROUND_ROBIN;
        InferenceJob job = new InferenceJob(InferenceJob.VERSION, id, "r-" + id, single ? "all" : spec.id(), scenario.model(),
                0, messages, new SamplingParams(1, 1, null, null, output, List.of(), null, 0, 0, true), (long) now, deadline,
                "k-" + spec.id(), single ? ServiceClass.STANDARD : spec.serviceClass(), single ? 1.0 : spec.weight());
        Job j = new Job(id, t, now, prompt, output, job);
        jobs.put(id, j);
        t.waiting++;
        if (inWindow(now)) {
            t.stats.offered++;
        }
        if (dispatcher == null) {
            List<Worker> alive = workers.values().stream().filter(w -> !w.dead).toList();
            Worker w = alive.get(Math.floorMod(roundRobin++, alive.size()));
            if (w.running.size() < w.spec.slots()) {
                start(w, j);
            } else {
                w.waiting.add(j);
            }
        } else {
            apply(dispatcher.onJob(job, (long) now));
        }
    }

    private void apply(List<Action> actions) {
        for (Action action : actions) {
            switch (action) {
                case Action.Assign a -> {
                    start(workers.get(a.workerId()), jobs.get(a.job().jobId()));
                    // a simulated worker takes every assignment it is given (the router only assigns free slots)
                    apply(dispatcher.onReply(AssignmentReply.of(a.job().jobId(), a.workerId(),
                            AssignmentReply.Verdict.ACCEPTED, null, (long) now), (long) now));
                }
                case Action.Settle s -> {
                }
                case Action.Republish r -> {
                    // Kafka bookkeeping: the job is back in this router's line already
                }
                case Action.Orphan o -> {
                    // as the router's script decides: a job that sent nothing goes back in line, the others fail
                    Job j = jobs.get(o.jobId());
                    if (j != null && j.firstTokenAt < 0 && o.job() != null) {
                        j.worker = null;
                        j.startedAt = -1;
                        j.tenant.waiting++;
                        apply(dispatcher.onOrphanRequeued(o, (long) now));
                    } else if (j != null) {
                        jobs.remove(o.jobId());
                        if (inWindow(j.arrivedAt)) {
                            result.refused(j.tenant.stats, "worker_lost");
                        }
                    }
                }
                case Action.Fail f -> {
                    Job j = jobs.remove(f.job().jobId());
                    if (j != null) {
                        if (j.startedAt < 0) {
                            j.tenant.waiting--;
                        }
                        if (inWindow(j.arrivedAt)) {
                            result.refused(j.tenant.stats, f.code().wire());
                        }
                    }
                }
                case Action.Drop d -> jobs.remove(d.job().jobId());
            }
        }
    }

    private void start(Worker w, Job j) {
        j.startedAt = now;
        j.worker = w;
        j.tenant.waiting--;
        w.running.add(j.id);
        w.prefills.add(j);
        if (!w.prefilling) {
            nextPrefill(w);
        }
    }

    private void nextPrefill(Worker w) {
        Job j = w.spec.priorityPrefill() ? pollByBand(w.prefills) : w.prefills.poll();
        if (j == null) {
            w.prefilling = false;
            return;
        }
        w.prefilling = true;
        j.blocks = PromptBlocks.of(j.job);
        int matched = 0;
        while (matched < j.blocks.length && w.cache.containsKey(j.blocks[matched])) {
            matched++;
        }
        int cached = Math.min(j.promptTokens - 1, matched * BLOCK_TOKENS);
        double duration = (j.promptTokens - cached) * 1000.0 / w.spec.prefillTps();
        if (inWindow(j.arrivedAt)) {
            result.prefilled(j.promptTokens, cached);
        }
        at(now + duration, () -> prefillDone(w, j));
    }

    private static Job pollByBand(ArrayDeque<Job> prefills) {
        Job best = null;
        for (Job j : prefills) {
            if (best == null || j.job.serviceClass().rank() < best.job.serviceClass().rank()) {
                best = j;
            }
        }
        prefills.remove(best);
        return best;
    }

    private void prefillDone(Worker w, Job j) {
        if (w.dead) {
            return;
        }
        for (int i = j.blocks.length - 1; i >= 0; i--) {
            w.cache.put(j.blocks[i], Boolean.TRUE);
        }
        j.firstTokenAt = now;
        if (inWindow(j.arrivedAt)) {
            result.started(j.tenant.stats, j.startedAt - j.arrivedAt, j.firstTokenAt - j.arrivedAt);
        }
        at(now + Math.max(0, j.outputTokens - 1) * 1000.0 / w.spec.decodeTps(), () -> complete(w, j));
        nextPrefill(w);
    }

    private void complete(Worker w, Job j) {
        if (w.dead) {
            return;
        }
        w.running.remove(j.id);
        jobs.remove(j.id);
        if (inWindow(now)) {
            result.served(j.tenant.stats, j.promptTokens, j.outputTokens);
        }
        if (dispatcher != null) {
            apply(dispatcher.onCompletion(JobCompletion.of(j.id, w.id, JobCompletion.Outcome.FINISHED, (long) now,
                    j.promptTokens, j.outputTokens), (long) now));
            return;
        }
        while (!w.waiting.isEmpty()) {
            Job next = w.waiting.poll();
            if (next.job.expiredAt((long) now)) {
                jobs.remove(next.id);
                next.tenant.waiting--;
                if (inWindow(next.arrivedAt)) {
                    result.refused(next.tenant.stats, "queue_timeout");
                }
                continue;
            }
            start(w, next);
            break;
        }
    }

    private void heartbeat(Worker w) {
        if (w.dead) {
            return;
        }
        if (dispatcher != null) {
            apply(dispatcher.onHeartbeat(new WorkerHeartbeat(WorkerHeartbeat.VERSION, w.id, List.of(scenario.model()),
                    "simulated", w.spec.slots(), w.spec.slots() - w.running.size(), 0, List.copyOf(w.running), (long) now,
                    HEARTBEAT_MS), (long) now));
        }
        at(now + HEARTBEAT_MS, () -> heartbeat(w));
    }

    /** The worker stops: no more heartbeats or completions; its jobs are lost (the router fails them after its timeout). */
    private void fail(Worker w) {
        w.dead = true;
        if (dispatcher == null) {
            for (String id : w.running) {
                Job j = jobs.remove(id);
                if (j != null && inWindow(j.arrivedAt)) {
                    result.refused(j.tenant.stats, "worker_lost");
                }
            }
            for (Job j : w.waiting) {
                jobs.remove(j.id);
                j.tenant.waiting--;
                if (inWindow(j.arrivedAt)) {
                    result.refused(j.tenant.stats, "worker_lost");
                }
            }
            w.waiting.clear();
        }
    }

    private void tick() {
        if (dispatcher != null) {
            apply(dispatcher.tick((long) now));
        } else {
            expireRoundRobinQueues();
        }
        if (inWindow(now)) {
            for (Tenant t : tenants) {
                t.stats.samples++;
                if (t.waiting > 0) {
                    t.stats.backlogged++;
                }
            }
        }
        at(now + TICK_MS, this::tick);
    }

    private void expireRoundRobinQueues() {
        for (Worker w : workers.values()) {
            w.waiting.removeIf(j -> {
                if (!j.job.expiredAt((long) now)) {
                    return false;
                }
                jobs.remove(j.id);
                j.tenant.waiting--;
                if (inWindow(j.arrivedAt)) {
                    result.refused(j.tenant.stats, "queue_timeout");
                }
                return true;
            });
        }
    }

    /** {@code chars} characters of {@code seed} repeated. */
    static String text(String seed, int chars) {
        StringBuilder b = new StringBuilder(chars + seed.length());
        while (b.length() < chars) {
            b.append(seed);
        }
        b.setLength(chars);
        return b.toString();
    }
}
