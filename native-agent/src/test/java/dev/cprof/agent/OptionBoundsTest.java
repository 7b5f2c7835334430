package dev.cprof.agent;

import static dev.cprof.agent.AgentSessions.collect;
import static dev.cprof.agent.AgentSessions.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.agent.workload.CpuSplit;
import dev.cprof.wire.proto.EventType;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The agent holds every session to safe bounds whatever the client asks for (the CLI refuses
 * such requests, but any process of the JVM's user can talk to the agent's socket): a 1 ns
 * sampling interval is sampled at 100 us at most, a 1 ms flush period flushes every 100 ms at
 * most, heap sampling of every byte is every KiB at least.
 */
class OptionBoundsTest {
    @Test
    void hostileRatesAreClampedAndTheTargetStaysHealthy() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        try (TargetJvm jvm = TargetJvm.start(java, List.of("-Xmx64m"), CpuSplit.class)) {
            new Attacher(AgentSessions.library()).attach(jvm.pid(), "");
            Duration session = Duration.ofSeconds(3);
            long cpu0 = jvm.cpuNanos("\0");
            long t0 = System.nanoTime();
            DecodedProfile p;
            try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10))) {
                c.start(request(EventType.CPU, EventType.WALL, EventType.ALLOC).setIntervalNs(1).setAllocIntervalBytes(1)
                        .setFlushIntervalMs(1).setWallThreadsPerTick(1_000_000).build());
                p = collect(c, session, session, d -> true);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long cpuUsed = jvm.cpuNanos("\0") - cpu0;
            long cpuSamples = p.sum(EventType.CPU, s -> true, false);
            // A CPU sample weighs a whole number of the timer's periods (one, plus the expirations
            // it missed while its signal was pending): their gcd is the interval really used.
            long periodNs = 0;
            for (long[] cw : p.samples.getOrDefault(EventType.CPU, Map.of()).values()) {
                periodNs = BigInteger.valueOf(periodNs).gcd(BigInteger.valueOf(cw[1])).longValue();
            }
            System.out.printf("RELIABILITY: scenario=option_bounds interval_asked_ns=1 interval_used_ns=%d flush_asked_ms=1"
                    + " alloc_asked_bytes=1 seconds=%.1f cpu_ms=%d cpu_samples=%d batches=%d crashes=0%n",
                    periodNs, seconds, cpuUsed / 1_000_000, cpuSamples, p.batches);
            assertTrue(cpuSamples > 0, "it sampled");
            assertEquals(100_000, periodNs, "the CPU timer's period: 1 ns asked, clamped to 100 us");
            // The kernel checks CPU timers on its tick, so the rate itself stays well under 1 per 100 us.
            assertTrue(cpuSamples <= cpuUsed / 100_000 + 200, () -> cpuSamples + " CPU samples for " + cpuUsed / 1_000_000 + " ms of CPU");
            assertTrue(p.batches <= seconds * 10 + 5, () -> p.batches + " batches in " + seconds + " s: the flush period was not clamped");
            assertNull(jvm.crashLog(), () -> "the target crashed: " + jvm.crashLog());
            assertTrue(jvm.isAlive(), "the target is alive");
        }
    }
}
