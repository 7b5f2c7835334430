package dev.cprof.agent.workload;

/**
 * Heavy allocation: args[0] threads (default 2), each allocating about args[1] MB/s (default
 * 0 = as fast as it can), through a few methods: the stress case for the alloc sample rate.
 */
public final class AllocHeavy {
    static final Object[] KEEP = new Object[1024];
    /** Rounds of level1 done, all threads: printed as "progress ops=N" (Workload.progress). */
    static final java.util.concurrent.atomic.LongAdder OPS = new java.util.concurrent.atomic.LongAdder();

    public static void main(String[] args) throws InterruptedException {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        long mbPerSecond = args.length > 1 ? Long.parseLong(args[1]) : 0;
        Workload.ready(300_000);
        Workload.progress(() -> "ops=" + OPS.sum());
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                int next = id * 512;
                long start = System.nanoTime();
                long bytes = 0;
                while (true) {
                    next = level1(next);
                    OPS.increment();
                    bytes += 8 * (256 + 16 + 256 + 16 + 4096 + 16);
                    if (mbPerSecond > 0 && (next & 1023) < 24) {
                        // paced: ahead of mbPerSecond, wait
                        long ahead = bytes * 1_000L / mbPerSecond - (System.nanoTime() - start);
                        if (ahead > 1_000_000L) {
                            try {
                                Thread.sleep(ahead / 1_000_000L);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    }
                }
            }, "alloc-" + t);
            th.setDaemon(true);
            th.start();
        }
        Thread.sleep(Long.MAX_VALUE);
    }

    static int level1(int next) {
        for (int i = 0; i < 16; i++) {
            next = (i & 1) == 0 ? small(next) : big(next);
        }
        return next;
    }

    static int small(int next) {
        KEEP[next++ & 1023] = new byte[256];
        KEEP[next++ & 1023] = new long[32];
        return next;
    }

    static int big(int next) {
        KEEP[next++ & 1023] = new byte[4096];
        return next;
    }
}
