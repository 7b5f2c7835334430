package dev.cprof.agent;

import static dev.cprof.agent.AgentSessions.MS;
import static dev.cprof.agent.AgentSessions.collect;
import static dev.cprof.agent.AgentSessions.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.agent.workload.CpuSplit;
import dev.cprof.wire.proto.EventType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another profiler in the same JVM: async-profiler 4.6, loaded while cprof profiles, in itimer
 * mode (its own SIGPROF handler and a process-wide ITIMER_PROF). Without chaining, from then on
 * every SIGPROF went to its handler: cprof's sessions went silent and async-profiler counted
 * cprof's per-thread timer signals as its own (twice its samples). cprof installs its handler
 * again (mid-session and at the next session start), passes async-profiler the signals that are
 * not its own, and after a session gives the replaced handler back.
 */
class SignalChainTest {
    static final int SIGPROF = 27;
    static final int SIGVTALRM = 26;

    @Test
    void anotherProfilersSigprofHandlerNeitherSilencesCprofNorGetsItsSignals(@TempDir Path dir) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path ap = extractAsyncProfiler(dir);
        Path apOut = dir.resolve("ap.collapsed");
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), CpuSplit.class)) {
            new Attacher(AgentSessions.library()).attach(jvm.pid(), "");

            // Alone: after the session, the handlers that were there (SIG_DFL) are back.
            try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10))) {
                c.start(request(EventType.CPU, EventType.WALL).build());
                collect(c, Duration.ofSeconds(1), Duration.ofSeconds(1), d -> true);
            }
            long caught = caughtSignals(jvm.pid());
            assertEquals(0, caught & (bit(SIGPROF) | bit(SIGVTALRM)),
                    () -> "SIGPROF/SIGVTALRM still caught after the session: SigCgt " + Long.toHexString(caught));

            // async-profiler loaded one second into a session.
            double midSession;
            long apCpu0;
            try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10))) {
                long cpu0 = jvm.cpuNanos("cprof");
                c.start(request(EventType.CPU).build());
                Thread.sleep(1_000);
                jvm.attach(ap, "start,event=itimer,interval=10ms");
                apCpu0 = jvm.cpuNanos("\0");
                DecodedProfile p = collect(c, Duration.ofSeconds(4), Duration.ofSeconds(4), d -> true);
                midSession = (double) p.sum(EventType.CPU, s -> true, true) / (jvm.cpuNanos("cprof") - cpu0);
            }
            // The next session, with async-profiler's handler in place at its start.
            double nextSession;
            try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10))) {
                long cpu0 = jvm.cpuNanos("cprof");
                c.start(request(EventType.CPU).build());
                DecodedProfile p = collect(c, Duration.ofSeconds(3), Duration.ofSeconds(3), d -> true);
                nextSession = (double) p.sum(EventType.CPU, s -> true, true) / (jvm.cpuNanos("cprof") - cpu0);
            }
            jvm.attach(ap, "stop,collapsed,file=" + apOut);
            long apCpu = jvm.cpuNanos("\0") - apCpu0;
            long apSamples = 0;
            for (String line : Files.readAllLines(apOut)) {
                apSamples += Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
            }
            // ITIMER_PROF: one signal per 10 ms of the process's CPU time.
            double apShare = apSamples * 10.0 * MS / apCpu;
            System.out.printf("RELIABILITY: scenario=sigprof_chain second_profiler=async-profiler-4.6-itimer"
                    + " cprof_weight_per_cpu_mid_session=%.2f cprof_weight_per_cpu_next_session=%.2f"
                    + " ap_samples=%d ap_samples_per_10ms_cpu=%.2f crashes=0%n", midSession, nextSession, apSamples, apShare);
            assertTrue(jvm.output().contains("SIGPROF: another handler replaced cprof's"), jvm::output);
            assertTrue(midSession > 0.6, () -> "cprof's samples stopped when async-profiler took SIGPROF: weight/CPU " + midSession);
            assertTrue(nextSession > 0.6, () -> "cprof's next session went to async-profiler's handler: weight/CPU " + nextSession);
            assertTrue(apSamples > 0, "async-profiler's own signals reach its handler through cprof's");
            assertTrue(apShare < 1.5, () -> "async-profiler got cprof's signals too: " + apShare + " samples per 10 ms of CPU");
            assertNull(jvm.crashLog(), () -> "the target crashed: " + jvm.crashLog());
            assertTrue(jvm.isAlive(), "the target is alive");
        }
    }

    static long bit(int signo) {
        return 1L << (signo - 1);
    }

    /** The process's caught signals (SigCgt of /proc/PID/status). */
    static long caughtSignals(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("SigCgt:")) {
                return Long.parseUnsignedLong(line.substring(7).trim(), 16);
            }
        }
        throw new IOException("no SigCgt for " + pid);
    }

    static Path extractAsyncProfiler(Path dir) throws IOException {
        String resource = "/linux-x64/libasyncProfiler.so";
        Path target = dir.resolve("libasyncProfiler.so");
        try (InputStream in = SignalChainTest.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " is not on the classpath (tools.profiler:async-profiler missing?)");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target.toAbsolutePath();
    }
}
