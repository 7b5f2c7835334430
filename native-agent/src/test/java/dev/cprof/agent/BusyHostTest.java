package dev.cprof.agent;

import static dev.cprof.agent.AgentSessions.collect;
import static dev.cprof.agent.AgentSessions.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.agent.workload.JdkLibrary;
import dev.cprof.wire.proto.EventType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Eight busy JVMs (two threads each) profiled at once with cpu and wall at 100 Hz on whatever
 * this host has (2 cores in CI): each agent's collector thread competes with sixteen busy
 * threads and whatever else runs, and the wall sampler produces 1,600 samples a second per JVM
 * whether or not the collector is scheduled. Nothing may be lost (no full ring, no full
 * table), and the ring may hold resident only the backlog it really had, not its capacity
 * (the old ring of fixed 5 KB cells was 5 MB resident after its first lap, two seconds of
 * wall sampling).
 */
class BusyHostTest {
    static final int JVMS = 8;
    static final Duration SESSION = Duration.ofSeconds(10);
    static final long RING_RESIDENT_MAX_KB = 1024;

    @Test
    void eightBusyJvmsLoseNoSamples() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Attacher attacher = new Attacher(AgentSessions.library());
        List<TargetJvm> jvms = new ArrayList<>();
        try {
            List<CompletableFuture<TargetJvm>> starting = new ArrayList<>();
            for (int i = 0; i < JVMS; i++) {
                starting.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return TargetJvm.start(java, List.of("-Xmx128m"), JdkLibrary.class, "120000", "2");
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            RuntimeException failed = null;
            for (var f : starting) {
                try {
                    jvms.add(f.join()); // all of them, so the finally stops every JVM that started
                } catch (RuntimeException e) {
                    failed = e;
                }
            }
            if (failed != null) {
                throw failed;
            }
            for (TargetJvm jvm : jvms) {
                attacher.attach(jvm.pid(), "");
            }
            List<CompletableFuture<DecodedProfile>> sessions = new ArrayList<>();
            for (TargetJvm jvm : jvms) {
                sessions.add(CompletableFuture.supplyAsync(() -> {
                    try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(30))) {
                        c.start(request(EventType.CPU, EventType.WALL).build());
                        return collect(c, SESSION, SESSION, d -> true);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            // Resident ring pages near the sessions' end (the largest backlog they had).
            Thread.sleep(SESSION.toMillis() * 8 / 10);
            List<List<Mapping>> maps = new ArrayList<>();
            for (TargetJvm jvm : jvms) {
                maps.add(mappings(jvm.pid()));
            }
            long[] residentKb = new long[JVMS];
            long minCpu = Long.MAX_VALUE;
            long minWall = Long.MAX_VALUE;
            long bufferFull = 0;
            long other = 0;
            long statusDropped = 0;
            long ringBytes = 0;
            long maxResident = 0;
            for (int i = 0; i < JVMS; i++) {
                DecodedProfile p = sessions.get(i).join();
                minCpu = Math.min(minCpu, p.sum(EventType.CPU, s -> true, false));
                minWall = Math.min(minWall, p.sum(EventType.WALL, s -> true, false));
                bufferFull += p.droppedBufferFull;
                other += p.droppedOther;
                statusDropped += p.status.getDropped();
                ringBytes = Math.max(ringBytes, p.status.getBufferBytes());
                residentKb[i] = ringResidentKb(maps.get(i), p.status.getBufferBytes());
                maxResident = Math.max(maxResident, residentKb[i]);
            }
            System.out.printf("RELIABILITY: scenario=busy_host jvms=%d threads_each=2 events=cpu,wall interval_ms=10 seconds=%d"
                    + " cpus=%d min_cpu_samples=%d min_wall_samples=%d dropped_buffer_full=%d dropped_other=%d"
                    + " ring_bytes=%d ring_resident_max_kb=%d crashes=0%n", JVMS, SESSION.toSeconds(),
                    Runtime.getRuntime().availableProcessors(), minCpu, minWall, bufferFull, other, ringBytes, maxResident);
            for (int i = 0; i < JVMS; i++) {
                DecodedProfile p = sessions.get(i).join();
                long pid = jvms.get(i).pid();
                assertEquals(0, p.droppedBufferFull, () -> "JVM " + pid + ": samples lost to a full ring");
                assertEquals(0, p.droppedOther, () -> "JVM " + pid + ": samples lost to a full table");
                assertEquals(0, p.status.getDropped(), () -> "JVM " + pid + ": the agent counted drops");
                assertTrue(p.sum(EventType.CPU, s -> true, false) > 0 && p.sum(EventType.WALL, s -> true, false) > 0,
                        () -> "JVM " + pid + " was sampled");
            }
            for (int i = 0; i < JVMS; i++) {
                long kb = residentKb[i];
                assertTrue(kb >= 0, "the ring is found in /proc/PID/smaps");
                assertTrue(kb <= RING_RESIDENT_MAX_KB, () -> kb + " KiB of the ring resident");
            }
            for (TargetJvm jvm : jvms) {
                assertNull(jvm.crashLog(), () -> "a target crashed: " + jvm.crashLog());
                assertTrue(jvm.isAlive(), "the target is alive");
            }
        } finally {
            for (TargetJvm jvm : jvms) {
                jvm.close();
            }
        }
    }

    private static final Pattern MAPPING = Pattern.compile("^[0-9a-f]+-[0-9a-f]+ .*");
    private static final Pattern FIELD = Pattern.compile("^(Size|Rss):\\s+(\\d+) kB");

    /** A mapping of /proc/PID/smaps: its size, its resident part, whether it is named cprof-ring. */
    record Mapping(long sizeKb, long rssKb, boolean named) {}

    static List<Mapping> mappings(long pid) throws IOException {
        List<Mapping> all = new ArrayList<>();
        boolean named = false;
        long size = -1;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps"))) {
            if (MAPPING.matcher(line).matches()) {
                named = line.contains("cprof-ring");
                size = -1;
            } else {
                Matcher m = FIELD.matcher(line);
                if (m.matches() && m.group(1).equals("Size")) {
                    size = Long.parseLong(m.group(2));
                } else if (m.matches() && size >= 0) {
                    all.add(new Mapping(size, Long.parseLong(m.group(2)), named));
                }
            }
        }
        return all;
    }

    /**
     * Resident KiB of the agent's ring: the mapping named cprof-ring, else (an agent without the
     * name, to compare) the one mapping of exactly the ring's size; -1 when there is none.
     */
    static long ringResidentKb(List<Mapping> mappings, long ringBytes) {
        long sizeKb = (ringBytes + 4095) / 4096 * 4;
        List<Mapping> bySize = new ArrayList<>();
        for (Mapping m : mappings) {
            if (m.named()) {
                return m.rssKb();
            }
            if (m.sizeKb() == sizeKb) {
                bySize.add(m);
            }
        }
        return bySize.size() == 1 ? bySize.get(0).rssKb() : -1;
    }
}
