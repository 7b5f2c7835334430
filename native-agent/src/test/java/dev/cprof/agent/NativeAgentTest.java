package dev.cprof.agent;

import static dev.cprof.agent.AgentSessions.MS;
import static dev.cprof.agent.AgentSessions.WORKLOAD;
import static dev.cprof.agent.AgentSessions.collect;
import static dev.cprof.agent.AgentSessions.request;
import static dev.cprof.agent.DecodedProfile.contains;
import static dev.cprof.agent.DecodedProfile.leaf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.agent.workload.AllocHeavy;
import dev.cprof.agent.workload.AllocSizeSplit;
import dev.cprof.agent.workload.AllocSplit;
import dev.cprof.agent.workload.CpuSplit;
import dev.cprof.agent.workload.Light;
import dev.cprof.agent.workload.LockSplit;
import dev.cprof.agent.workload.ManyThreads;
import dev.cprof.agent.workload.SleepLock;
import dev.cprof.wire.FrameReader;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The agent in real JVMs (every installed JDK): accuracy, protocol, stop, re-attach, limits.
 * Target safety under stress (attach cycles, churn, exits, full buffers) is {@link TargetSafetyTest}.
 */
class NativeAgentTest {
    static Path lib;

    @BeforeAll
    static void extractLibrary() throws IOException {
        lib = AgentSessions.library();
    }

    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void cpuSharesFollowCpuTime(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), CpuSplit.class)) {
            jvm.attach(lib, "service=cpu-test");
            try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10))) {
                InstanceInfo info = c.start(request(EventType.CPU).build());
                assertEquals(jvm.pid(), info.getPid());
                assertEquals("cpu-test", info.getService());
                assertEquals(CpuSplit.class.getName(), info.getMainClass());
                assertFalse(info.getJdkVersion().isEmpty());
                Predicate<List<String>> a = contains(WORKLOAD + "CpuSplit.hotA");
                Predicate<List<String>> b = contains(WORKLOAD + "CpuSplit.hotB");
                DecodedProfile p = collect(c, Duration.ofSeconds(4), Duration.ofSeconds(25),
                        d -> d.sum(EventType.CPU, a.or(b), false) >= 600);
                long na = p.sum(EventType.CPU, a, false);
                long nb = p.sum(EventType.CPU, b, false);
                double share = 100.0 * na / (na + nb);
                System.out.printf("cpu %s: hotA %d, hotB %d samples, share of hotA %.1f%%%n", java, na, nb, share);
                assertTrue(na + nb >= 100, () -> "too few samples: " + p.dump(EventType.CPU, 10));
                assertEquals(75.0, share, 5.0, () -> p.dump(EventType.CPU, 10));
                long count = p.sum(EventType.CPU, s -> true, false);
                long weight = p.sum(EventType.CPU, s -> true, true);
                // One interval per sample, plus the expirations a timer missed while its signal
                // was pending (rare at 10 ms: CpuOverrunTest covers them).
                assertEquals(0, weight % (10 * MS), "cpu weight: whole intervals");
                assertTrue(weight >= 10 * MS * count && weight <= 11 * MS * count, () -> "cpu weight " + weight + " for " + count + " samples");
            }
        }
    }

    /** A frame of the agent's own code: "[cprof]", or its library by file name. */
    static final Predicate<List<String>> AGENT_FRAME =
            s -> s.stream().anyMatch(f -> f.equals("[cprof]") || f.contains("libcprof"));

    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void agentIsNoHotSpotInItsOwnProfile(Path java) throws Exception {
        // cpu and wall together: a CPU tick landing in the wall handler (or the reverse) used
        // to be recorded as [unknown_Java];[libcprof-<hash>.so], 1-12 % of the cpu samples.
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), ManyThreads.class)) {
            try (AgentClient c = attached(jvm)) {
                c.start(request(EventType.CPU, EventType.WALL).build());
                DecodedProfile p = collect(c, Duration.ofSeconds(4), Duration.ofSeconds(20),
                        d -> d.sum(EventType.CPU, s -> true, false) >= 500);
                long cpu = p.sum(EventType.CPU, s -> true, false);
                long cpuAgent = p.sum(EventType.CPU, AGENT_FRAME, false);
                long wall = p.sum(EventType.WALL, s -> true, false);
                long wallAgent = p.sum(EventType.WALL, AGENT_FRAME, false);
                System.out.printf("agent frames %s: cpu %d of %d, wall %d of %d samples%n", java, cpuAgent, cpu, wallAgent, wall);
                assertTrue(cpu >= 100, () -> "too few samples: " + p.dump(EventType.CPU, 10));
                assertTrue(cpuAgent * 100 < cpu, () -> "agent frames >= 1 % of cpu: " + p.dump(EventType.CPU, 10));
                assertTrue(wallAgent * 100 < wall, () -> "agent frames >= 1 % of wall: " + p.dump(EventType.WALL, 10));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void reattachKeepsTheCpuSampleRate(Path java) throws Exception {
        // Samples of a CPU-timer profiler follow the CPU the JVM gets, not the wall clock: on a
        // loaded machine raw counts swing, so each session is normalised by the CPU time its
        // threads (the agent's own excluded) used meanwhile. The measure is the cpu weight (a
        // sample weighs the interval times the timer expirations it stands for, overruns
        // included: on a loaded machine a thread's expirations pile up while it waits for a core).
        // Three sessions: a timer left armed by a session, or armed twice, shows in the second
        // one's rate already; the third shows that it does not creep up (five added nothing).
        final int sessions = 3;
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), CpuSplit.class)) {
            List<Double> rates = new ArrayList<>();
            StringBuilder log = new StringBuilder();
            for (int i = 0; i < sessions; i++) {
                try (AgentClient c = attached(jvm)) {
                    c.start(request(EventType.CPU).build());
                    long cpu0 = jvm.cpuNanos("cprof-");
                    DecodedProfile p = collect(c, Duration.ofSeconds(3), Duration.ofSeconds(3), d -> true);
                    long cpuNs = jvm.cpuNanos("cprof-") - cpu0;
                    long samples = p.sum(EventType.CPU, s -> true, false);
                    long weight = p.sum(EventType.CPU, s -> true, true);
                    double expected = (double) cpuNs / (10 * MS);
                    rates.add(weight / (double) cpuNs);
                    log.append(String.format("session %d: %d samples weighing %d ms, %d ms CPU (expected %.0f samples), ratio %.2f%n",
                            i + 1, samples, weight / MS, cpuNs / MS, expected, weight / (double) cpuNs));
                    assertTrue(expected >= 30, "the target got too little CPU to judge: " + log);
                }
            }
            System.out.printf("reattach rate %s:%n%s", java, log);
            for (int i = 0; i < sessions; i++) {
                assertEquals(1.0, rates.get(i) / rates.get(0), 0.2, "session " + (i + 1) + " vs the first:\n" + log);
                assertEquals(1.0, rates.get(i), 0.25, "cpu weight = CPU time:\n" + log);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void wallSamplesManyThreadsAndTellsStateOnRequest(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), ManyThreads.class)) {
            jvm.attach(lib, "");
            Predicate<List<String>> spin = contains(WORKLOAD + "ManyThreads.spin");
            Predicate<List<String>> nap = contains(WORKLOAD + "ManyThreads.nap");
            Predicate<List<String>> park = contains(WORKLOAD + "ManyThreads.park");
            Predicate<List<String>> await = contains(WORKLOAD + "ManyThreads.await");
            Predicate<List<String>> anyState = leaf("[running]").or(leaf("[sleeping]")).or(leaf("[waiting]")).or(leaf("[other_state]"));
            // default: ~25 Java threads at 16 per 10 ms tick, nothing lost, no state frames
            try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10))) {
                c.start(request(EventType.WALL).build());
                DecodedProfile p = collect(c, Duration.ofSeconds(3), Duration.ofSeconds(3), d -> true);
                long wall = p.sum(EventType.WALL, s -> true, false);
                System.out.printf("wall %s: %d samples, buffer_full %d, unwalkable %d, other %d%n",
                        java, wall, p.droppedBufferFull, p.unwalkable, p.droppedOther);
                assertTrue(wall >= 500, () -> "too few wall samples: " + p.dump(EventType.WALL, 10));
                assertEquals(0, p.droppedBufferFull, "samples lost to a full buffer");
                assertEquals(0, p.droppedOther, "samples lost otherwise");
                assertTrue(p.unwalkable * 20 < wall, () -> "unwalkable " + p.unwalkable + ": " + p.dump(EventType.WALL, 10));
                assertTrue(p.sum(EventType.WALL, nap, false) > 0 && p.sum(EventType.WALL, spin, false) > 0,
                        () -> p.dump(EventType.WALL, 10));
                assertEquals(0, p.sum(EventType.WALL, anyState, false), () -> "state frames by default: " + p.dump(EventType.WALL, 10));
                // weight: each sample stands for the wall time between two looks at its thread,
                // so the 6 nappers add up to about 6 x the session's length
                long napMs = p.sum(EventType.WALL, nap, true) / MS;
                System.out.printf("wall %s: 6 nappers weigh %d ms%n", java, napMs);
                assertTrue(napMs > 6 * 2_000 && napMs < 6 * 5_000, "napper wall time " + napMs + " ms");
            }
            // options["wall_state"] = "true": kernel state as the leaf frame
            try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10))) {
                c.start(request(EventType.WALL).putOptions("wall_state", "true").build());
                DecodedProfile p = collect(c, Duration.ofSeconds(3), Duration.ofSeconds(3), d -> true);
                long wall = p.sum(EventType.WALL, s -> true, false);
                long stated = p.sum(EventType.WALL, anyState, false);
                long spinRunning = p.sum(EventType.WALL, spin.and(leaf("[running]")), false);
                long spinAll = p.sum(EventType.WALL, spin, false);
                long idle = p.sum(EventType.WALL, nap.or(park).or(await), false);
                long idleSleeping = p.sum(EventType.WALL, nap.or(park).or(await).and(leaf("[sleeping]")), false);
                System.out.printf("wall state %s: %d of %d samples with a state; spin %d of %d running; idle %d of %d sleeping%n",
                        java, stated, wall, spinRunning, spinAll, idleSleeping, idle);
                assertEquals(wall, stated, () -> "every wall sample has a state: " + p.dump(EventType.WALL, 10));
                // "R" is runnable, not only on a CPU: the 6 waiters, woken together every second,
                // queue for the monitor and the CPU on a loaded machine, so not 100 %
                assertTrue(idle > 0 && idleSleeping >= idle * 80 / 100, () -> p.dump(EventType.WALL, 20));
                assertTrue(spinAll > 0 && spinRunning >= spinAll * 80 / 100, () -> p.dump(EventType.WALL, 20));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void agentpathStartWritesFile(Path java, @TempDir Path dir) throws Exception {
        Path out = dir.resolve("profile.bin");
        String opts = "service=from-start,start=cpu,interval=5ms,file=" + out;
        try (TargetJvm jvm = TargetJvm.start(java, List.of("-agentpath:" + lib + "=" + opts), CpuSplit.class, "3000")) {
            assertEquals(0, jvm.waitFor(60), jvm.output());
        }
        DecodedProfile p = new DecodedProfile();
        InstanceInfo info = null;
        try (InputStream in = Files.newInputStream(out)) {
            FrameReader r = new FrameReader(in, false);
            Envelope e;
            while ((e = r.read()) != null) {
                if (e.hasInstance()) {
                    info = e.getInstance();
                } else if (e.hasBatch()) {
                    p.add(e.getBatch());
                }
            }
        }
        assertNotNull(info, "InstanceInfo first in the file");
        assertEquals("from-start", info.getService());
        assertTrue(p.batches >= 2, "batches: " + p.batches);
        long hot = p.sum(EventType.CPU, contains(WORKLOAD + "CpuSplit.hotA").or(contains(WORKLOAD + "CpuSplit.hotB")), false);
        System.out.printf("agentpath %s: %d batches, %d hot samples%n", java, p.batches, hot);
        assertTrue(hot > 20, () -> p.dump(EventType.CPU, 10));
        assertTrue(p.sum(EventType.CPU, contains(WORKLOAD + "CpuSplit.main"), false) > 0);
    }

    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void allocSharesFollowBytes(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), AllocSplit.class)) {
            try (AgentClient c = attached(jvm)) {
                c.start(request(EventType.ALLOC).setAllocIntervalBytes(32 * 1024).build());
                Predicate<List<String>> a = contains(WORKLOAD + "AllocSplit.allocA");
                Predicate<List<String>> b = contains(WORKLOAD + "AllocSplit.allocB");
                DecodedProfile p = collect(c, Duration.ofSeconds(3), Duration.ofSeconds(20),
                        d -> d.sum(EventType.ALLOC, a.or(b), false) >= 600);
                long wa = p.sum(EventType.ALLOC, a, true);
                long wb = p.sum(EventType.ALLOC, b, true);
                double share = 100.0 * wa / (wa + wb);
                System.out.printf("alloc %s: allocA %d B, allocB %d B (%d samples), share of allocA %.1f%%%n",
                        java, wa, wb, p.sum(EventType.ALLOC, a.or(b), false), share);
                assertEquals(70.0, share, 7.0, () -> p.dump(EventType.ALLOC, 10));
                // the allocated type is the leaf frame
                assertTrue(p.sum(EventType.ALLOC, s -> s.get(s.size() - 1).equals("byte[]") && a.test(s), false) > 0,
                        () -> p.dump(EventType.ALLOC, 10));
            }
        }
    }

    /**
     * Objects of different sizes: 25 % of the bytes in 24-byte arrays, 75 % in 72-byte ones. A
     * heap sample of a small object is rarer (chance ~ size / interval) and must weigh more;
     * weighting each sample by its object's size read 10 % / 90 %. At the default interval and
     * at a denser one; 4000 samples put one standard deviation of the share at 0.7 pp.
     */
    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void allocSharesAreUnbiasedByObjectSize(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), AllocSizeSplit.class)) {
            jvm.attach(lib, "");
            for (long interval : new long[] {0, 64 * 1024}) { // 0: the agent's default, 512 KiB
                try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10))) {
                    c.start(request(EventType.ALLOC).setAllocIntervalBytes(interval).build());
                    Predicate<List<String>> small = contains(WORKLOAD + "AllocSizeSplit.allocSmall");
                    Predicate<List<String>> large = contains(WORKLOAD + "AllocSizeSplit.allocLarge");
                    DecodedProfile p = collect(c, Duration.ofSeconds(2), Duration.ofSeconds(40),
                            d -> d.sum(EventType.ALLOC, small.or(large), false) >= 4000);
                    long samples = p.sum(EventType.ALLOC, small.or(large), false);
                    long ws = p.sum(EventType.ALLOC, small, true);
                    long wl = p.sum(EventType.ALLOC, large, true);
                    double share = 100.0 * ws / (ws + wl);
                    System.out.printf("alloc by size %s interval %s: allocSmall %d B, allocLarge %d B (%d samples), "
                                    + "share of allocSmall %.1f%% (true 25%%)%n",
                            java, interval == 0 ? "512k(default)" : interval / 1024 + "k", ws, wl, samples, share);
                    assertTrue(samples >= 2000, () -> "too few samples to judge: " + p.dump(EventType.ALLOC, 10));
                    assertEquals(25.0, share, 3.0, () -> p.dump(EventType.ALLOC, 10));
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void wallShowsSleepAndLockShowsContention(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), SleepLock.class)) {
            try (AgentClient c = attached(jvm)) {
                c.start(request(EventType.WALL, EventType.LOCK).setThreads(true).build());
                DecodedProfile p = collect(c, Duration.ofSeconds(3), Duration.ofSeconds(15),
                        d -> d.sum(EventType.LOCK, s -> true, false) >= 5);
                Predicate<List<String>> sleeping = contains(WORKLOAD + "SleepLock.sleepyMethod").and(contains("java.lang.Thread.sleep"));
                long wall = p.sum(EventType.WALL, sleeping, false);
                Predicate<List<String>> contended = contains(WORKLOAD + "SleepLock.contendedMethod")
                        .and(s -> s.get(s.size() - 1).equals(WORKLOAD + "SleepLock$LockBox"));
                long locks = p.sum(EventType.LOCK, contended, false);
                long waited = p.sum(EventType.LOCK, contended, true);
                System.out.printf("wall/lock %s: %d wall samples in sleepyMethod, %d contended enters, %d ms waited%n",
                        java, wall, locks, waited / MS);
                assertTrue(wall > 0, () -> p.dump(EventType.WALL, 10));
                assertTrue(p.sum(EventType.WALL, sleeping.and(s -> s.get(0).equals("[sleeper]")), false) > 0,
                        () -> "thread name as root: " + p.dump(EventType.WALL, 10));
                assertTrue(locks > 0, () -> p.dump(EventType.LOCK, 10));
                assertTrue(waited / locks >= 10 * MS, "each record weighs at least the 10 ms threshold");
            }
        }
    }

    /**
     * Waits of ~1 ms in shortWaits and ~20 ms in longWaits, against the 10 ms threshold: the
     * lock weights' share of shortWaits must match the waits the workload measured itself in
     * the same window. Dropping waits under the threshold read shortWaits as ~0 %; sampled in
     * proportion to their length (~100 records/s here), they are counted: in 8 s, one standard
     * deviation of the share is about 1 pp.
     */
    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void lockSharesCountWaitsUnderTheThreshold(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), LockSplit.class)) {
            try (AgentClient c = attached(jvm)) {
                assertTrue(jvm.awaitOutput("progress ", 5_000));
                long short0 = jvm.progress("shortNs"), long0 = jvm.progress("longNs");
                c.start(request(EventType.LOCK).build()); // the agent's default threshold, 10 ms
                DecodedProfile p = collect(c, Duration.ofSeconds(8), Duration.ofSeconds(8), d -> true);
                long shortTrue = jvm.progress("shortNs") - short0, longTrue = jvm.progress("longNs") - long0;
                Predicate<List<String>> shortWaits = contains(WORKLOAD + "LockSplit.shortWaits");
                Predicate<List<String>> longWaits = contains(WORKLOAD + "LockSplit.longWaits");
                long ws = p.sum(EventType.LOCK, shortWaits, true), wl = p.sum(EventType.LOCK, longWaits, true);
                double share = 100.0 * ws / (ws + wl), trueShare = 100.0 * shortTrue / (shortTrue + longTrue);
                System.out.printf("lock by length %s: shortWaits %d ms (%d records), longWaits %d ms (%d records), "
                                + "share of shortWaits %.1f%%, measured by the workload %.1f%% (%d ms / %d ms)%n",
                        java, ws / MS, p.sum(EventType.LOCK, shortWaits, false), wl / MS, p.sum(EventType.LOCK, longWaits, false),
                        share, trueShare, shortTrue / MS, longTrue / MS);
                assertTrue(shortTrue > 2_000 * MS && longTrue > 2_000 * MS, "both kinds of wait happened");
                assertEquals(trueShare, share, 5.0, () -> p.dump(EventType.LOCK, 10));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#current") // the control thread and its socket: no JDK changes them
    void droppedConnectionStopsWithinASecond(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), Light.class)) {
            jvm.attach(lib, "");
            Path socket = AgentClient.socketPath(jvm.pid());
            AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)), "socket mode");
            c.start(request(EventType.CPU, EventType.WALL, EventType.ALLOC).build());
            assertNotNull(c.next());
            assertTrue(jvm.threadNames().contains("cprof-sampler"), () -> "sampler runs: " + names(jvm));
            c.close(); // no Stop
            long start = System.nanoTime();
            while (agentWorkers(jvm) && System.nanoTime() - start < 5_000 * MS) {
                Thread.sleep(20);
            }
            long ms = (System.nanoTime() - start) / MS;
            System.out.printf("drop %s: sampling threads gone %d ms after the close%n", java, ms);
            assertFalse(agentWorkers(jvm), () -> "still sampling: " + names(jvm));
            assertTrue(ms <= 1_200, "stopped in " + ms + " ms");
            // back to idle: a new client gets a status, then a new session
            try (AgentClient again = AgentClient.connect(jvm.pid(), Duration.ofSeconds(5))) {
                again.requestStatus();
                Envelope status = again.next();
                assertTrue(status.hasStatus(), status.toString());
                assertFalse(status.getStatus().getProfiling());
                again.start(request(EventType.CPU).setFlushIntervalMs(200).build());
                DecodedProfile p = collect(again, Duration.ofMillis(500), Duration.ofSeconds(5), d -> d.batches >= 2);
                assertTrue(p.batches >= 2);
            }
            // a malformed frame gets an Error, and the agent keeps serving
            try (SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                raw.connect(UnixDomainSocketAddress.of(socket));
                raw.write(ByteBuffer.wrap(new byte[] {3, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
                Envelope err = new FrameReader(Channels.newInputStream(raw), false).read();
                assertTrue(err != null && err.hasError(), String.valueOf(err));
            }
            try (AgentClient again = AgentClient.connect(jvm.pid(), Duration.ofSeconds(5))) {
                again.requestStatus();
                assertTrue(again.next().hasStatus());
            }
            assertTrue(jvm.isAlive());
        }
    }

    /**
     * A client that stops reading (batches pile up until the socket buffer is full and the
     * agent's send times out), then goes away: the agent must be idle again, and the next
     * client must get a session with batches within about 2 s of the drop.
     */
    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#current") // the agent's send timeout: no JDK changes it
    void stalledClientThenDropLeavesTheAgentServing(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), AllocHeavy.class, "1")) {
            AgentClient stalled = attached(jvm);
            stalled.start(request(EventType.CPU, EventType.ALLOC, EventType.LOCK).setAllocIntervalBytes(16 * 1024)
                    .setFlushIntervalMs(100).setLines(true).setThreads(true).build());
            // never reads: the agent's sends block, then time out. A fixed stall, not a condition:
            // the session was seen still sampling 5 s into it, so there is no earlier end to await.
            Thread.sleep(5_000);
            stalled.close();
            assertNewSessionSoon(jvm, java, "stalled");
        }
    }

    /** A long-ish session with many batches, ended by dropping the connection (no Stop). */
    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#current") // the end of a session on a drop: no JDK changes it
    void longSessionEndedByDropLeavesTheAgentServing(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), AllocHeavy.class, "1")) {
            AgentClient c = attached(jvm);
            c.start(request(EventType.CPU, EventType.ALLOC, EventType.LOCK).setAllocIntervalBytes(64 * 1024)
                    .setFlushIntervalMs(100).setLines(true).build());
            DecodedProfile p = new DecodedProfile();
            long end = System.nanoTime() + 15_000 * MS;
            Envelope e;
            // the 50 batches asserted (~5 s), then the drop: 15 s more of the same added nothing
            while (p.batches < 50 && System.nanoTime() < end && (e = c.next()) != null) {
                if (e.hasBatch()) {
                    p.add(e.getBatch());
                }
            }
            assertTrue(p.batches >= 50, "batches " + p.batches);
            c.close(); // mid-stream, while the agent keeps sending
            assertNewSessionSoon(jvm, java, "long");
        }
    }

    /**
     * The CLI was rebuilt while the JVM kept the old agent: the new build (another file) is
     * attached to a JVM the old copy serves. The JVM must go on answering sessions.
     */
    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void anotherBuildAttachedAfterADropLeavesTheAgentServing(Path java, @TempDir Path dir) throws Exception {
        Path otherBuild = dir.resolve("libcprof-otherbuild.so");
        Files.copy(lib, otherBuild);
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), AllocHeavy.class, "1")) {
            AgentClient c = attached(jvm);
            c.start(request(EventType.CPU, EventType.ALLOC).setAllocIntervalBytes(64 * 1024).setFlushIntervalMs(100).build());
            for (int i = 0; i < 10; i++) {
                c.next();
            }
            c.close();
            jvm.attach(otherBuild, "");
            assertNewSessionSoon(jvm, java, "other build");
            jvm.attach(otherBuild, "");
            assertNewSessionSoon(jvm, java, "other build again");
        }
    }

    /**
     * More samples than the collector can turn into stacks (a tiny alloc interval, more
     * allocating threads than cores, line numbers): the collector must still flush on time and
     * stop when the client goes, instead of draining the ever-refilled ring forever.
     */
    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void sampleFloodStillFlushesAndStops(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), AllocHeavy.class, "3")) {
            AgentClient c = attached(jvm);
            c.start(request(EventType.CPU, EventType.ALLOC, EventType.LOCK).setAllocIntervalBytes(256)
                    .setFlushIntervalMs(200).setLines(true).setThreads(true).build());
            DecodedProfile p = new DecodedProfile();
            long start = System.nanoTime();
            Envelope e;
            // until the 10 batches asserted arrive, within the same 5 s (not for 5 s whatever came)
            while (p.batches < 10 && System.nanoTime() - start < 5_000 * MS && (e = c.next()) != null) {
                if (e.hasBatch()) {
                    p.add(e.getBatch());
                }
            }
            System.out.printf("flood %s: %d batches in %d ms, %d alloc samples, %d dropped (buffer full)%n", java,
                    p.batches, (System.nanoTime() - start) / MS, p.sum(EventType.ALLOC, s -> true, false), p.droppedBufferFull);
            assertTrue(p.batches >= 10, "batches in 5 s with flush=200ms: " + p.batches);
            c.close();
            assertNewSessionSoon(jvm, java, "flood");
        }
    }

    /**
     * An older, incompatible build of the agent holds the socket (it answers our Hello with an
     * Error, as a protocol-1 agent does): the newly attached copy must take the socket over
     * instead of logging "already served" for ever. One that accepts but does not answer
     * (busy or hung) is left alone, and the next attach asks again.
     */
    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#current") // the socket takeover: no JDK changes it
    void incompatibleCopyOnTheSocketIsTakenOver(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), Light.class)) {
            Path socket = AgentClient.socketPath(jvm.pid());
            // 1. a listener that never answers: not taken over
            try (ServerSocketChannel mute = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                mute.bind(UnixDomainSocketAddress.of(socket));
                jvm.attach(lib, "");
                assertTrue(jvm.awaitOutput("did not answer", 5_000), jvm::output);
            }
            // 2. an old build: Error on Hello, then close
            Files.deleteIfExists(socket);
            try (ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                old.bind(UnixDomainSocketAddress.of(socket));
                Thread t = new Thread(() -> {
                    try {
                        while (true) {
                            try (SocketChannel ch = old.accept()) {
                                ch.read(ByteBuffer.allocate(64));
                                new dev.cprof.wire.FrameWriter(Channels.newOutputStream(ch), false).write(Envelope.newBuilder()
                                        .setError(dev.cprof.wire.proto.Error.newBuilder().setCode(dev.cprof.wire.proto.Error.Code.BAD_REQUEST).setMessage("unsupported protocol version"))
                                        .build());
                            }
                        }
                    } catch (IOException closed) {
                        // the test is over
                    }
                }, "old-agent");
                t.setDaemon(true);
                t.start();
                long start = System.nanoTime();
                jvm.attach(lib, ""); // the attach that found the mute listener left the flag unset: asks again
                System.out.printf("takeover %s: attach took %d ms%n", java, (System.nanoTime() - start) / MS);
                assertTrue(jvm.awaitOutput("taking it over", 5_000), jvm::output);
                assertNewSessionSoon(jvm, java, "takeover");
            }
        }
    }

    /**
     * cpu+alloc+lock on an allocation-heavy program (2 threads, 2 GB/s each, as in the fleet's
     * 3-4 GB/s runs: ~8k alloc samples/s at the default 512 KiB interval): at the default
     * interval and at a 2x denser one, no sample may be lost to a full ring, and the agent's
     * RSS stays within its 16 MB budget.
     */
    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void allocHeavyLosesNoSamples(Path java) throws Exception {
        List<String> flatHeap = List.of("-Xms64m", "-Xmx64m", "-Xmn48m", "-XX:+AlwaysPreTouch");
        try (TargetJvm jvm = TargetJvm.start(java, flatHeap, AllocHeavy.class, "2", "2000")) {
            Thread.sleep(1_000);
            long rssBefore = jvm.rssKb();
            jvm.attach(lib, "");
            for (long interval : new long[] {0, 256 * 1024}) { // 0: the agent's default, 512 KiB
                try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10))) {
                    c.start(request(EventType.CPU, EventType.ALLOC, EventType.LOCK).setAllocIntervalBytes(interval).build());
                    DecodedProfile p = new DecodedProfile();
                    long start = System.nanoTime();
                    long rssMax = 0;
                    Envelope e;
                    while (System.nanoTime() - start < 8_000 * MS && (e = c.next()) != null) {
                        if (e.hasBatch()) {
                            p.add(e.getBatch());
                            rssMax = Math.max(rssMax, jvm.rssKb());
                        }
                    }
                    double secs = (System.nanoTime() - start) / 1e9;
                    c.stop();
                    while ((e = c.next()) != null) {
                        if (e.hasBatch()) {
                            p.add(e.getBatch());
                        }
                    }
                    long allocs = p.sum(EventType.ALLOC, s -> true, false);
                    long bytes = allocs * (interval == 0 ? 512 * 1024 : interval); // a sample stands for one interval
                    long added = rssMax - rssBefore;
                    System.out.printf("alloc-heavy %s interval %s: %.0f alloc samples/s, ~%.1f GB/s allocated, %.0f cpu samples/s, "
                                    + "dropped buffer_full %d (%.2f%%), RSS added %d KiB%n",
                            java, interval == 0 ? "512k(default)" : interval / 1024 + "k", allocs / secs, bytes / secs / 1e9,
                            p.sum(EventType.CPU, s -> true, false) / secs, p.droppedBufferFull,
                            100.0 * p.droppedBufferFull / Math.max(1, allocs + p.droppedBufferFull), added);
                    assertTrue(allocs > 0);
                    assertEquals(0, p.droppedBufferFull, "samples lost to a full ring");
                    assertTrue(added < 16 * 1024, "RSS added " + added + " KiB");
                }
            }
        }
    }

    /** From now: the sampling threads of the dropped session go, and a new session delivers 2 batches. */
    private static void assertNewSessionSoon(TargetJvm jvm, Path java, String what) throws Exception {
        long dropped = System.nanoTime();
        try (AgentClient again = AgentClient.connect(jvm.pid(), Duration.ofSeconds(5))) {
            again.start(request(EventType.CPU).setFlushIntervalMs(100).build());
            int batches = 0;
            Envelope e;
            while (batches < 2 && (e = again.next()) != null) {
                Envelope got = e;
                assertFalse(got.hasError(), () -> "agent error: " + got);
                if (e.hasBatch()) {
                    batches++;
                }
            }
            long ms = (System.nanoTime() - dropped) / MS;
            System.out.printf("%s drop %s: new session's 2nd batch %d ms after the drop%n", what, java, ms);
            assertEquals(2, batches);
            assertTrue(ms <= 2_500, "new session served " + ms + " ms after the drop");
            again.stop();
            while (again.next() != null) {
                // final batch
            }
        }
        assertTrue(jvm.isAlive());
    }

    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#current") // the wire encoding: no JDK changes it
    void dictionaryDeltasStartOverPerConnection(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), Light.class)) {
            jvm.attach(lib, "");
            for (int round = 0; round < 2; round++) {
                try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10))) {
                    c.start(request(EventType.CPU, EventType.ALLOC).setFlushIntervalMs(250).setLines(true).build());
                    // DecodedProfile.add checks: sequence from 1, bases = entries so far, ids in range
                    DecodedProfile p = collect(c, Duration.ofSeconds(1), Duration.ofSeconds(5), d -> d.batches >= 4);
                    assertTrue(p.batches >= 4);
                    Set<String> unique = new HashSet<>(p.strings);
                    assertEquals(p.strings.size(), unique.size(), "each string sent once per stream");
                    Set<String> frames = new HashSet<>();
                    for (var f : p.frames) {
                        // A frame is name, kind, line and type: one method run interpreted and compiled is two frames.
                        assertTrue(frames.add(p.strings.get(f.getName()) + ":" + f.getKind() + ":" + f.getLine() + ":" + f.getType()),
                                "each frame once");
                    }
                    assertTrue(p.frames.stream().anyMatch(f -> f.getLine() > 0), "line numbers with lines=true");
                }
            }
        }
    }

    @Test
    void libraryIsExtractedOnceByContent(@TempDir Path dir) throws IOException {
        Path a = AgentLibrary.extract(dir);
        Path b = AgentLibrary.extract(dir);
        assertEquals(a, b);
        assertTrue(a.getFileName().toString().matches("libcprof-[0-9a-f]{16}\\.so"));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary files left");
        }
    }

    /** Loads the agent into {@code jvm} and connects to it: the start of most tests here. */
    private static AgentClient attached(TargetJvm jvm) throws Exception {
        jvm.attach(lib, "");
        return AgentClient.connect(jvm.pid(), Duration.ofSeconds(10));
    }

    private static boolean agentWorkers(TargetJvm jvm) throws IOException {
        List<String> n = jvm.threadNames();
        return n.contains("cprof-sampler") || n.contains("cprof-collector");
    }

    private static String names(TargetJvm jvm) {
        try {
            return jvm.threadNames().toString();
        } catch (IOException e) {
            return e.toString();
        }
    }
}
