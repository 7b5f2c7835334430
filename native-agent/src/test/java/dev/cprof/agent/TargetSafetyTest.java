package dev.cprof.agent;

import static dev.cprof.agent.AgentSessions.MS;
import static dev.cprof.agent.AgentSessions.WORKLOAD;
import static dev.cprof.agent.AgentSessions.collect;
import static dev.cprof.agent.AgentSessions.request;
import static dev.cprof.agent.DecodedProfile.contains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.agent.workload.AllocHeavy;
import dev.cprof.agent.workload.ClassChurn;
import dev.cprof.agent.workload.CpuSplit;
import dev.cprof.agent.workload.Light;
import dev.cprof.agent.workload.ThreadStorm;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.Frame;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The promise to the JVMs cprof runs in: never take a target down, never lose what was
 * collected. Each scenario checks the target afterwards (alive, no hs_err file, its workload
 * progressed) and prints one "RELIABILITY: scenario=... key=value ..." line with its figures
 * (docs/RELIABILITY.md is written from them). {@code -Dcprof.soak=true} (mvn -Psoak,
 * scripts/soak.sh) runs the long versions.
 */
class TargetSafetyTest {
    static final boolean SOAK = Boolean.getBoolean("cprof.soak");
    /** Attach/profile/detach cycles on one JVM. */
    static final int CYCLES = Integer.getInteger("cprof.test.cycles", 200);
    /**
     * How long the class-unloading churn is profiled: 5 minutes soak, 10 s per JDK otherwise
     * (~10,000 classes defined and unloaded in 10 full GCs, ~50 samples in methods whose class
     * went: the race the audit looks for is met many times over; 30 s only tripled that).
     */
    static final Duration CHURN = Duration.ofSeconds(SOAK ? 300 : 10);
    static final Duration STORM = Duration.ofSeconds(SOAK ? 120 : 15);
    /** The longest a full-ring phase runs; outside a soak it ends once drops and samples were seen. */
    static final Duration FLOOD = Duration.ofSeconds(SOAK ? 60 : 5);
    /** The agent's stack depth (MAX_FRAMES in buffer.h): deeper stacks get a [truncated] root. */
    static final int MAX_FRAMES = 256;
    /** Native and stub frames above the Java frames (MAX_NATIVE in buffer.h). */
    static final int MAX_NATIVE = 64;

    static Path lib;

    @BeforeAll
    static void extractLibrary() throws IOException {
        lib = AgentSessions.library();
    }

    /**
     * 200 cycles of attach (jattach, as the product does), a session with every event, and a
     * detach: half end with Stop, half by dropping the connection. The agent stays loaded (a
     * JVMTI agent cannot be unloaded), so after the first cycle nothing may grow: threads, file
     * descriptors, POSIX timers, RSS.
     */
    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void attachProfileDetachCycles(Path java) throws Exception {
        // A pre-touched heap keeps the target's own RSS flat, so growth is the agent's.
        List<String> flatRss = List.of("-Xmx64m", "-Xmn4m", "-XX:+AlwaysPreTouch");
        Attacher attacher = new Attacher(lib);
        try (TargetJvm jvm = TargetJvm.start(java, flatRss, Light.class)) {
            long rssFirst = 0;
            int threadsFirst = 0;
            int fdsFirst = 0;
            long samples = 0;
            StringBuilder rssCurve = new StringBuilder(); // every quarter of the cycles
            long t0 = System.nanoTime();
            for (int i = 0; i < CYCLES; i++) {
                attacher.attach(jvm.pid(), ""); // the second and later attaches reuse the loaded agent
                AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10));
                try {
                    c.start(request(EventType.CPU, EventType.WALL, EventType.ALLOC, EventType.LOCK).setFlushIntervalMs(100).build());
                    if (i % 2 == 0) {
                        DecodedProfile p = collect(c, Duration.ZERO, Duration.ofSeconds(5), d -> d.batches >= 1);
                        assertTrue(p.batches >= 2, "a batch and the final one");
                        samples += p.sum(EventType.CPU, s -> true, false) + p.sum(EventType.WALL, s -> true, false);
                    } else {
                        assertTrue(c.next().hasBatch()); // then hang up without Stop
                    }
                } finally {
                    c.close();
                }
                if (i == 0) {
                    awaitIdle(jvm);
                    rssFirst = jvm.rssKb();
                    threadsFirst = jvm.threadCount();
                    fdsFirst = jvm.fdCount();
                }
                if ((i + 1) % (CYCLES / 4) == 0) {
                    rssCurve.append(rssCurve.length() == 0 ? "" : ",").append(jvm.rssKb());
                }
            }
            awaitIdle(jvm);
            long rssEnd = jvm.rssKb();
            int threadsEnd = jvm.threadCount();
            int fdsEnd = jvm.fdCount();
            int timers = jvm.posixTimers();
            long controls = jvm.threadNames().stream().filter("cprof-control"::equals).count();
            long agentThreads = jvm.threadNames().stream().filter(n -> n.startsWith("cprof-")).count();
            reliability("attach_cycles", java, "cycles=" + CYCLES, "seconds=" + (System.nanoTime() - t0) / 1_000_000_000L,
                    "cpu_wall_samples=" + samples, "rss_kb_after_first=" + rssFirst, "rss_kb_end=" + rssEnd, "rss_kb_by_quarter=" + rssCurve,
                    "threads_after_first=" + threadsFirst, "threads_end=" + threadsEnd, "fds_after_first=" + fdsFirst,
                    "fds_end=" + fdsEnd, "posix_timers_end=" + timers, "crashes=0");
            assertHealthy(jvm);
            assertEquals(1, controls, "one control thread however many attaches");
            assertEquals(1, agentThreads, () -> "no sampler or collector left: " + names(jvm));
            assertEquals(0, timers, "every CPU timer deleted");
            // JIT compiler threads come and go on their own (UseDynamicNumberOfCompilerThreads)
            assertTrue(threadsEnd <= threadsFirst + 2, "threads " + threadsFirst + " -> " + threadsEnd);
            assertTrue(fdsEnd <= fdsFirst + 2, "file descriptors " + fdsFirst + " -> " + fdsEnd);
            assertTrue(rssEnd - rssFirst < 5 * 1024, "RSS grew " + (rssEnd - rssFirst) + " KiB");
        }
    }

    /**
     * ~1,000 classes a second defined through throwaway loaders, run once and unloaded by a full
     * GC every second, profiled with cpu, wall and alloc (line numbers on, so the collector
     * also asks for line tables of methods whose class may be gone). Every frame must name a
     * real method or be one of the agent's honest markers.
     */
    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void classUnloadingChurn(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of("-Xmx64m"), ClassChurn.class, "1000",
                Long.toString(CHURN.toMillis() + 120_000))) {
            new Attacher(lib).attach(jvm.pid(), "");
            awaitProgress(jvm, "defined");
            long defined0 = jvm.progress("defined");
            long unloaded0 = jvm.progress("unloaded");
            DecodedProfile p;
            long t0 = System.nanoTime();
            try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10))) {
                c.start(request(EventType.CPU, EventType.WALL, EventType.ALLOC).setAllocIntervalBytes(64 * 1024)
                        .setLines(true).build());
                p = collect(c, CHURN, CHURN, d -> true);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Thread.sleep(600); // one more progress line, after the session
            long defined = jvm.progress("defined") - defined0;
            long unloaded = jvm.progress("unloaded") - unloaded0;
            FrameAudit audit = FrameAudit.of(p);
            Predicate<List<String>> churned = s -> s.stream().anyMatch(f -> f.matches(Pattern.quote(WORKLOAD) + "Churn\\d{4}\\..*"));
            long churnedSamples = p.sum(EventType.CPU, churned, false) + p.sum(EventType.WALL, churned, false);
            reliability("class_churn", java, String.format("minutes=%.2f", seconds / 60), "classes_defined=" + defined,
                    "classes_unloaded=" + unloaded, "samples=" + audit.samples, "samples_in_churned_classes=" + churnedSamples,
                    "frames=" + audit.frames, "invalid_frames=" + audit.invalid.size(), "unloaded_method_samples=" + audit.unloadedMarkers,
                    "unknown_method_samples=" + audit.unknownMarkers, "unwalkable=" + p.unwalkable,
                    "dropped_buffer_full=" + p.droppedBufferFull, "dropped_other=" + p.droppedOther,
                    "max_handler_us=" + p.status.getMaxHandlerNs() / 1000, "mean_handler_us=" + p.status.getMeanHandlerNs() / 1000,
                    "crashes=0");
            assertHealthy(jvm);
            assertTrue(audit.invalid.isEmpty(), () -> "invalid frames: " + audit.invalid);
            assertTrue(defined >= CHURN.toSeconds() * 100, "the churn ran: " + defined + " classes defined");
            assertTrue(unloaded >= defined / 2, "classes were unloaded: " + unloaded + " of " + defined);
            assertTrue(churnedSamples > 0, () -> "samples in the churned classes' methods: " + p.dump(EventType.CPU, 10));
            assertEquals(0, p.droppedBufferFull + p.droppedOther, "samples lost");
        }
    }

    /**
     * 1,000 live threads, threads starting and ending as fast as one thread can start them, and
     * a 3,000-frame recursion: the deep stacks come truncated under a [truncated] root (the
     * handler walks at most 256 frames, so its time does not grow with the depth), every CPU
     * timer goes with its thread, and nothing is left when the session ends.
     */
    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void thousandThreadsChurnAndDeepRecursion(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), ThreadStorm.class, "1000", "3000",
                Long.toString(STORM.toMillis() + 120_000))) {
            new Attacher(lib).attach(jvm.pid(), "");
            awaitProgress(jvm, "started");
            int threadsBefore = jvm.threadCount();
            int fdsBefore = jvm.fdCount();
            long started0 = jvm.progress("started");
            long deep0 = jvm.progress("deep");
            DecodedProfile p;
            int timersDuring;
            try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10))) {
                c.start(request(EventType.CPU, EventType.WALL).setThreads(true).build());
                Thread.sleep(1_000);
                timersDuring = jvm.posixTimers();
                p = collect(c, STORM, STORM, d -> true);
            }
            awaitIdle(jvm);
            Thread.sleep(600);
            long started = jvm.progress("started") - started0;
            long deepRounds = jvm.progress("deep") - deep0;
            int timersAfter = jvm.posixTimers();
            int threadsAfter = jvm.threadCount();
            int fdsAfter = jvm.fdCount();
            // at the bottom the recursion is 3,000 frames deep (on the way down or up it may be shallow)
            // [thread];[truncated];... A walk that failed ([thread];[unknown_Java];bottom, the leaf named by the
            // walker's own unwind) is not a deep stack: it is counted as unwalked, not as missing its marker.
            Predicate<List<String>> marked = s -> s.size() > 1 && s.get(1).equals("[truncated]");
            Predicate<List<String>> unwalked = s -> s.size() > 1 && s.get(1).startsWith("[") && !s.get(1).equals("[truncated]");
            Predicate<List<String>> deep = contains(WORKLOAD + "ThreadStorm.bottom").and(unwalked.negate());
            long deepSamples = p.sum(EventType.CPU, deep, false) + p.sum(EventType.WALL, deep, false);
            long deepMarked = p.sum(EventType.CPU, deep.and(marked), false) + p.sum(EventType.WALL, deep.and(marked), false);
            long liveSamples = p.sum(EventType.WALL, contains(WORKLOAD + "ThreadStorm.liveLoop"), false);
            long shortSamples = p.sum(EventType.CPU, contains(WORKLOAD + "ThreadStorm.shortLife"), false)
                    + p.sum(EventType.WALL, contains(WORKLOAD + "ThreadStorm.shortLife"), false);
            int longest = 0;
            for (var e : p.samples.values()) {
                for (List<String> s : e.keySet()) {
                    longest = Math.max(longest, s.size());
                }
            }
            FrameAudit audit = FrameAudit.of(p);
            reliability("thread_storm", java, "seconds=" + STORM.toSeconds(), "live_threads=1000",
                    "threads_started_and_ended=" + started, String.format("thread_starts_per_s=%.0f", started / (double) STORM.toSeconds()),
                    "recursion_depth=3000", "deep_rounds=" + deepRounds, "samples=" + audit.samples, "deep_samples=" + deepSamples,
                    "deep_samples_truncated=" + deepMarked, "longest_stack=" + longest, "live_thread_samples=" + liveSamples,
                    "short_thread_samples=" + shortSamples, "invalid_frames=" + audit.invalid.size(),
                    "posix_timers_during=" + timersDuring, "posix_timers_after=" + timersAfter,
                    "threads_before=" + threadsBefore, "threads_after=" + threadsAfter, "fds_before=" + fdsBefore,
                    "fds_after=" + fdsAfter, "max_handler_us=" + p.status.getMaxHandlerNs() / 1000,
                    "mean_handler_us=" + p.status.getMeanHandlerNs() / 1000, "dropped_buffer_full=" + p.droppedBufferFull,
                    "dropped_other=" + p.droppedOther, "crashes=0");
            assertHealthy(jvm);
            assertTrue(audit.invalid.isEmpty(), () -> "invalid frames: " + audit.invalid);
            assertTrue(deepSamples > 0, () -> "samples of the deep recursion: " + p.dump(EventType.CPU, 10));
            Predicate<List<String>> deepUnmarked = deep.and(marked.negate());
            // A short stack holding bottom is a wrong walk (cause not found yet; a
            // known limit, 1 in ~1,150 deep samples seen); more than 1 in 200 fails.
            assertTrue((deepSamples - deepMarked) * 200 <= deepSamples, () -> "every stack at the bottom of the recursion truncated with a marker; unmarked: "
                    + p.samples.values().stream().flatMap(m -> m.keySet().stream()).filter(deepUnmarked)
                            .map(st -> st.size() > 12 ? st.subList(0, 6) + " ... " + st.subList(st.size() - 6, st.size()) : st.toString())
                            .limit(5).toList() + " (" + (deepSamples - deepMarked) + " of " + deepSamples + ")");
            assertTrue(longest <= MAX_FRAMES + MAX_NATIVE + 4, "longest stack " + longest + " frames");
            assertTrue(liveSamples > 0, () -> "wall samples of the 1,000 live threads: " + p.dump(EventType.WALL, 10));
            assertTrue(started > 0, "threads started during the session");
            assertTrue(timersDuring >= 1_000, "a CPU timer per live thread: " + timersDuring);
            assertEquals(0, timersAfter, "every CPU timer deleted when the session ended");
            assertTrue(jvm.threadNames().stream().noneMatch(n -> n.equals("cprof-sampler") || n.equals("cprof-collector")),
                    () -> "agent threads left: " + names(jvm));
            assertTrue(fdsAfter <= fdsBefore + 2, "file descriptors " + fdsBefore + " -> " + fdsAfter);
            assertEquals(0, p.droppedOther, "samples lost to a full dictionary");
        }
    }

    /**
     * A 4-record ring under a high sample rate, two threads allocating as fast as they can:
     * first cpu every 1 ms (signal handlers: a drop costs a failed claim), then cpu plus alloc
     * every 1 KiB (JVMTI callbacks: a full ring is checked before the stack is walked). The
     * producers drop and count instead of waiting, the application threads keep running, the
     * drops arrive in the batches' Dropped counters and in the Status, and what fitted is
     * still delivered.
     */
    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void fullBufferDropsAndCountsWithoutBlocking(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of("-Xms64m", "-Xmx64m"), AllocHeavy.class, "2")) {
            new Attacher(lib).attach(jvm.pid(), "");
            awaitProgress(jvm, "ops");
            long opsA = jvm.progress("ops");
            long tA = System.nanoTime();
            Thread.sleep(1_000); // the workload's rate before, for the report line only
            double before = (jvm.progress("ops") - opsA) / ((System.nanoTime() - tA) / 1e9);
            for (String phase : List.of("cpu", "cpu+alloc")) {
                DecodedProfile p;
                long opsC;
                long tC;
                try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10))) {
                    var r = request(EventType.CPU).setIntervalNs(MS).setFlushIntervalMs(200).putOptions("ring_records", "4");
                    if (phase.contains("alloc")) {
                        r.addEvents(EventType.ALLOC).setAllocIntervalBytes(1024);
                    }
                    c.start(r.build());
                    Thread.sleep(500);
                    opsC = jvm.progress("ops");
                    tC = System.nanoTime();
                    // until the drops (and what fitted) have arrived in batches: they come within
                    // milliseconds at this rate; the soak runs the whole FLOOD
                    p = collect(c, SOAK ? FLOOD : Duration.ofSeconds(1), FLOOD,
                            d -> !SOAK && d.droppedBufferFull > 0 && d.sum(EventType.CPU, s -> true, false) > 0);
                }
                double during = (jvm.progress("ops") - opsC) / ((System.nanoTime() - tC) / 1e9);
                Status st = p.status;
                long samples = p.sum(EventType.CPU, s -> true, false) + p.sum(EventType.ALLOC, s -> true, false);
                reliability("buffer_full", java, "events=" + phase, "ring_records=4", "ring_bytes=" + st.getBufferBytes(), String.format("seconds=%.1f", (System.nanoTime() - tC) / 1e9),
                        "samples_delivered=" + samples, "dropped_buffer_full=" + p.droppedBufferFull, "status_dropped=" + st.getDropped(),
                        String.format("drop_share=%.1f%%", 100.0 * p.droppedBufferFull / Math.max(1, p.droppedBufferFull + samples)),
                        String.format("workload_ops_per_s_before=%.0f", before), String.format("workload_ops_per_s_during=%.0f", during),
                        "max_handler_us=" + st.getMaxHandlerNs() / 1000, "mean_handler_us=" + st.getMeanHandlerNs() / 1000,
                        "dropped_other=" + p.droppedOther, "crashes=0");
                assertHealthy(jvm);
                assertTrue(st.getBufferBytes() > 0 && st.getBufferBytes() <= 4 * 5_184, "a ring of 4 deepest (5,184-byte: 256 frames and a 256-byte type name or jdbc label) records: " + st.getBufferBytes() + " bytes");
                assertTrue(st.getDropped() > 0, "the Status counts drops");
                assertTrue(p.droppedBufferFull >= st.getDropped(), "every drop the Status saw reached a batch's Dropped: "
                        + p.droppedBufferFull + " < " + st.getDropped());
                assertTrue(samples > 0, "what fitted in the ring is delivered");
                assertTrue(during > 0, "the application threads kept running while samples were dropped");
                assertEquals(0, p.droppedOther);
            }
        }
    }

    /**
     * The JVM dies while jattach waits for its attach listener (the JVM is stopped, then
     * killed): the attach ends with "exited during attach", it does not hang.
     */
    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void jvmExitingDuringAttachIsAClearError(Path java) throws Exception {
        assertExitDuringAttach(java, new Attacher(lib), "jattach");
    }

    /** The same through the JDK's Attach API (the route without jattach). */
    @Test
    void jvmExitingDuringAttachApiIsAClearError() throws Exception {
        assertExitDuringAttach(Jdks.all().get(0), new Attacher(lib, null), "attach-api");
    }

    private static void assertExitDuringAttach(Path java, Attacher attacher, String route) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), Light.class)) {
            jvm.signal("STOP"); // it cannot answer the attach request
            CompletableFuture<Exception> attach = CompletableFuture.supplyAsync(() -> {
                try {
                    attacher.attach(jvm.pid(), "");
                    return null;
                } catch (Exception e) {
                    return e;
                }
            });
            Thread.sleep(1_000);
            assertTrue(!attach.isDone(), "the attach is waiting for the stopped JVM");
            jvm.signal("KILL");
            long killed = System.nanoTime();
            Exception e = attach.get(60, TimeUnit.SECONDS);
            long ms = (System.nanoTime() - killed) / MS;
            reliability("exit_during_attach", java, "route=" + route, "attach_returned_ms_after_kill=" + ms,
                    "error=\"" + (e == null ? "none" : e.getMessage()) + "\"");
            assertNotNull(e, "the attach of a dead JVM failed");
            assertTrue(e instanceof AttachException, e::toString);
            assertEquals(AttachException.Reason.JVM_EXITED, ((AttachException) e).reason(), e.getMessage());
            assertEquals("JVM " + jvm.pid() + " exited during attach", e.getMessage());
            for (Path dir : List.of(Path.of("").toAbsolutePath(), Path.of("/tmp"))) { // the target's working dir is ours
                assertTrue(!Files.exists(dir.resolve(".attach_pid" + jvm.pid())), "attach file left in " + dir);
            }
        }
    }

    /**
     * The JVM ends mid-session, by System.exit (the agent's VMDeath handler sends the final
     * batch) and by SIGKILL (no goodbye): the stream ends soon after, and every batch received
     * until then is intact and kept.
     */
    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void jvmExitingDuringASessionKeepsWhatWasSent(Path java) throws Exception {
        for (String how : List.of("exit", "kill")) {
            // exit: CpuSplit's watchdog calls System.exit 4 s after start; kill: 2 s into the session
            // (either leaves the 4 batches asserted a second to spare, at 250 ms a batch)
            try (TargetJvm jvm = TargetJvm.start(java, List.of(), CpuSplit.class, how.equals("exit") ? "4000" : "120000")) {
                new Attacher(lib).attach(jvm.pid(), "");
                DecodedProfile p = new DecodedProfile();
                AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10));
                CompletableFuture<Void> killer = how.equals("kill")
                        ? CompletableFuture.runAsync(() -> sleepThenKill(jvm, 2_000)) : CompletableFuture.completedFuture(null);
                String ended;
                long lastBatch = 0;
                // a watchdog: a stream that does not end 20 s after the JVM did is a hang
                CompletableFuture<Void> watchdog = CompletableFuture.runAsync(() -> {
                    try {
                        while (jvm.isAlive()) {
                            Thread.sleep(50);
                        }
                        Thread.sleep(20_000);
                        c.close();
                    } catch (InterruptedException | IOException e) {
                        // done
                    }
                });
                try {
                    c.start(request(EventType.CPU, EventType.WALL).setFlushIntervalMs(250).build());
                    Envelope e;
                    while ((e = c.next()) != null) {
                        if (e.hasBatch()) {
                            p.add(e.getBatch());
                            lastBatch = System.nanoTime();
                        }
                    }
                    ended = "end of stream";
                } catch (IOException ex) {
                    ended = "error: " + ex.getMessage();
                } finally {
                    c.close();
                }
                long streamEnd = System.nanoTime();
                killer.get(30, TimeUnit.SECONDS);
                assertTrue(jvm.waitFor(20) >= 0);
                watchdog.cancel(true);
                long samples = p.sum(EventType.CPU, s -> true, false) + p.sum(EventType.WALL, s -> true, false);
                long hot = p.sum(EventType.CPU, contains(WORKLOAD + "CpuSplit.hotA").or(contains(WORKLOAD + "CpuSplit.hotB")), false);
                reliability("exit_during_session", java, "how=" + how, "batches_kept=" + p.batches, "samples_kept=" + samples,
                        "hot_samples=" + hot, "stream=\"" + ended + "\"",
                        "stream_end_ms_after_last_batch=" + (streamEnd - lastBatch) / MS);
                assertNull(jvm.crashLog(), "no hs_err file");
                assertTrue(p.batches >= 4, "batches before the exit: " + p.batches);
                assertTrue(hot > 0, () -> p.dump(EventType.CPU, 5));
                assertTrue((streamEnd - lastBatch) / MS < 20_000, "the stream ended, not closed by the watchdog");
                if (how.equals("exit")) {
                    assertEquals("end of stream", ended, "System.exit: the agent closes the stream after its final batch");
                }
            }
        }
    }

    private static void sleepThenKill(TargetJvm jvm, long ms) {
        try {
            Thread.sleep(ms);
            jvm.signal("KILL");
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Alive, no crash log. */
    private static void assertHealthy(TargetJvm jvm) {
        assertNull(jvm.crashLog(), () -> "the target crashed: " + jvm.crashLog());
        assertTrue(jvm.isAlive(), () -> "the target JVM died: " + tail(jvm.output()));
    }

    /** Waits (bounded) until the agent's sampler and collector threads are gone. */
    private static void awaitIdle(TargetJvm jvm) throws Exception {
        long end = System.nanoTime() + 5_000 * MS;
        while (System.nanoTime() < end && jvm.threadNames().stream().anyMatch(n -> n.equals("cprof-sampler") || n.equals("cprof-collector"))) {
            Thread.sleep(20);
        }
    }

    /** Waits (bounded) for the workload's first progress line with {@code key}. */
    private static void awaitProgress(TargetJvm jvm, String key) throws InterruptedException {
        long end = System.nanoTime() + 10_000 * MS;
        while (System.nanoTime() < end && !jvm.progress().containsKey(key)) {
            Thread.sleep(50);
        }
        assertTrue(jvm.progress().containsKey(key), () -> "no progress from the workload: " + tail(jvm.output()));
    }

    /** One greppable line of figures per scenario and JDK. */
    private static void reliability(String scenario, Path java, String... figures) {
        System.out.println("RELIABILITY: scenario=" + scenario + " jdk=" + jdk(java) + (SOAK ? " soak=true " : " ") + String.join(" ", figures));
    }

    private static String jdk(Path java) {
        String home = java.getParent().getParent().getFileName().toString();
        return home.contains("25") ? "25" : home.contains("17") ? "17" : home;
    }

    private static String tail(String s) {
        return s.length() <= 2_000 ? s : s.substring(s.length() - 2_000);
    }

    private static String names(TargetJvm jvm) {
        try {
            return jvm.threadNames().stream().filter(n -> n.startsWith("cprof")).toList().toString();
        } catch (IOException e) {
            return e.toString();
        }
    }

    /**
     * What a profile would show wrongly: empty or garbled names, Java frames that are no
     * method name, pseudo frames the agent does not make. The agent's honest markers for
     * a method whose class went away ([unloaded_method]) or had no id ([unknown_method]) are
     * not invalid: the samples with them are counted.
     */
    static final class FrameAudit {
        /** A Java frame: pkg.Class.method, hidden classes with their /0x... suffix, or a type name (alloc leaf). */
        static final Pattern JAVA = Pattern.compile("[A-Za-z_$][\\w$]*(?:[./][\\w$<>]+)*(?:\\[\\])*");
        static final Set<String> PSEUDO = Set.of("[truncated]", "[jvm_internal]", "[cprof]", "[no_Java_frame]", "[no_class_load]",
                "[gc]", "[unknown_not_Java]", "[not_walkable_not_Java]", "[unknown_Java]", "[not_walkable_Java]",
                "[unknown_state]", "[thread_exit]", "[deopt]", "[safepoint]", "[unknown_error]", "[running]", "[sleeping]",
                "[waiting]", "[other_state]");
        final List<String> invalid = new java.util.ArrayList<>();
        long frames;
        long samples;
        long unloadedMarkers;
        long unknownMarkers;

        static FrameAudit of(DecodedProfile p) {
            FrameAudit a = new FrameAudit();
            for (Frame f : p.frames) {
                a.frames++;
                String name = p.strings.get(f.getName());
                boolean ok = !name.isEmpty() && name.chars().noneMatch(ch -> Character.isISOControl(ch) || ch == 0xfffd);
                if (f.getKind() == FrameKind.JAVA) {
                    ok &= JAVA.matcher(name).matches() && !name.contains("..");
                } else if (f.getKind() == FrameKind.PSEUDO) {
                    // thread names as root frames: "[name]"; the two method markers are counted below
                    ok &= PSEUDO.contains(name) || name.startsWith("[") && name.endsWith("]") && name.length() > 2;
                } else {
                    ok &= f.getKind() == FrameKind.NATIVE || f.getKind() == FrameKind.KERNEL;
                }
                if (!ok && a.invalid.size() < 20) {
                    a.invalid.add(f.getKind() + " '" + name + "'");
                }
            }
            for (var e : p.samples.values()) {
                for (var stack : e.entrySet()) {
                    long n = stack.getValue()[0];
                    a.samples += n;
                    a.unloadedMarkers += stack.getKey().contains("[unloaded_method]") ? n : 0;
                    a.unknownMarkers += stack.getKey().contains("[unknown_method]") ? n : 0;
                }
            }
            return a;
        }
    }
}
