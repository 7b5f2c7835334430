package dev.cprof.agent;

import static dev.cprof.agent.AgentSessions.collect;
import static dev.cprof.agent.AgentSessions.request;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.agent.workload.CpuSplit;
import dev.cprof.wire.proto.EventType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A CPU timer that expires again while its signal is still pending does not queue a second
 * signal: the kernel counts the missed expirations in si_overrun. The kernel checks CPU timers
 * on its scheduler tick (4 ms at HZ=250, 1 ms at HZ=1000), so a 500 us timer is such a timer
 * all the time: each signal stands for 2 to 8 periods. Counted into the sample's weight, the
 * cpu weight still adds up to the CPU time the thread used; counted as one period each, it was
 * a half to an eighth of it. (The same holds, more rarely, at 10 ms: a signal delayed by a
 * long system call or blocked for a while.)
 */
class CpuOverrunTest {
    static final long INTERVAL_NS = 500_000;

    @Test
    void missedTimerExpirationsAreCountedInTheCpuWeight() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), CpuSplit.class)) {
            new Attacher(AgentSessions.library()).attach(jvm.pid(), "");
            DecodedProfile p;
            long cpu0;
            try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10))) {
                cpu0 = jvm.cpuNanos("cprof");
                c.start(request(EventType.CPU).setIntervalNs(INTERVAL_NS).build());
                p = collect(c, Duration.ofSeconds(3), Duration.ofSeconds(3), d -> true);
            }
            // The JVM's threads but the agent's own (never sampled), start to stop of the session.
            long cpu = jvm.cpuNanos("cprof") - cpu0;
            long count = p.sum(EventType.CPU, s -> true, false);
            long weight = p.sum(EventType.CPU, s -> true, true);
            System.out.printf("RELIABILITY: scenario=cpu_overrun interval_us=%d samples=%d periods_per_sample=%.2f"
                    + " cpu_ms=%d weight_ms=%d weight_per_cpu=%.2f%n", INTERVAL_NS / 1000, count,
                    (double) weight / Math.max(1, count) / INTERVAL_NS, cpu / 1_000_000, weight / 1_000_000, (double) weight / cpu);
            assertTrue(count >= 50, () -> "too few samples: " + count);
            assertTrue(weight >= 3 * count * INTERVAL_NS / 2,
                    () -> "missed expirations not counted: " + weight + " ns for " + count + " samples of " + INTERVAL_NS + " ns");
            assertTrue(weight > 0.7 * cpu && weight < 1.3 * cpu,
                    () -> "cpu weight " + weight / 1_000_000 + " ms for " + cpu / 1_000_000 + " ms of CPU");
        }
    }
}
