package dev.cprof.bench;

import java.lang.management.ManagementFactory;
import java.util.Map;

/**
 * The reference of {@link AllocAccuracyBench}: one thread allocates as many byte[8] (24 bytes)
 * in {@code allocSmall} as byte[56] (72 bytes) in {@code allocLarge}, so 25 % of the bytes come
 * from allocSmall. Both sizes are far below a heap sampling interval, where a sample's chance
 * grows with the object's size: a profiler that weighs a sample by its object's size reads
 * 10 % instead. The workload measures the true split itself, with the JVM's count of the bytes
 * its thread allocated around every call, and prints it in its RESULT line (smallBytes,
 * largeBytes, shareSmall). Paced at MB_PER_S, so samples come at a rate a service could have.
 *
 * <pre>
 * java dev.cprof.bench.KnownAllocSplitWorkload SECONDS [MB_PER_S (default 500)]
 * </pre>
 */
public final class KnownAllocSplitWorkload {
    static final Object[] KEEP = new Object[1024]; // escapes, so the JIT cannot remove the arrays
    static int next;

    private KnownAllocSplitWorkload() {}

    public static void main(String[] args) throws Exception {
        long millis = Long.parseLong(args[0]) * 1000L;
        long bytesPerMs = (args.length > 1 ? Long.parseLong(args[1]) : 500) * 1_000_000L / 1000;
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ResultLine.ready("");
        long small = 0;
        long large = 0;
        long start = System.nanoTime();
        long end = start + millis * 1_000_000L;
        long now = start;
        while (now < end) {
            for (int i = 0; i < 100; i++) {
                long a0 = bean.getCurrentThreadAllocatedBytes();
                allocSmall();
                long a1 = bean.getCurrentThreadAllocatedBytes();
                allocLarge();
                small += a1 - a0;
                large += bean.getCurrentThreadAllocatedBytes() - a1;
            }
            now = System.nanoTime();
            long ahead = (small + large) / bytesPerMs - (now - start) / 1_000_000L; // ms ahead of the pace
            if (ahead > 0) {
                Thread.sleep(ahead);
                now = System.nanoTime();
            }
        }
        ResultLine.printAndExit(Map.of("kind", "allocsplit", "smallBytes", small, "largeBytes", large,
                "shareSmall", String.format(java.util.Locale.ROOT, "%.4f", (double) small / (small + large))));
    }

    static void allocSmall() {
        for (int i = 0; i < 64; i++) {
            KEEP[next++ & 1023] = new byte[8];
        }
    }

    static void allocLarge() {
        for (int i = 0; i < 64; i++) {
            KEEP[next++ & 1023] = new byte[56];
        }
    }
}
