package dev.cprof.agent.workload;

import java.util.concurrent.atomic.LongAdder;

/**
 * Contention of two lengths: two threads take turns on a monitor held ~1 ms in shortWaits
 * (waits far below a 10 ms threshold), two on another held ~20 ms in longWaits (waits above
 * it). Each thread measures its own waits, from before the monitor to inside it, and the sums
 * are printed as "progress shortNs=N longNs=N": the true split of the time spent waiting.
 */
public final class LockSplit {
    static final Object SHORT = new Object();
    static final Object LONG = new Object();
    static final LongAdder SHORT_NS = new LongAdder();
    static final LongAdder LONG_NS = new LongAdder();

    public static void main(String[] args) throws InterruptedException {
        Workload.ready(120_000);
        Workload.progress(() -> "shortNs=" + SHORT_NS.sum() + " longNs=" + LONG_NS.sum());
        for (int i = 1; i <= 2; i++) {
            start("short-" + i, () -> shortWaits());
            start("long-" + i, () -> longWaits());
        }
        Thread.sleep(Long.MAX_VALUE);
    }

    private interface Body {
        void run() throws InterruptedException;
    }

    private static void start(String name, Body body) {
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    body.run();
                }
            } catch (InterruptedException e) {
                // end
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    static void shortWaits() throws InterruptedException {
        long start = System.nanoTime();
        synchronized (SHORT) {
            SHORT_NS.add(System.nanoTime() - start);
            Thread.sleep(1);
        }
    }

    static void longWaits() throws InterruptedException {
        long start = System.nanoTime();
        synchronized (LONG) {
            LONG_NS.add(System.nanoTime() - start);
            Thread.sleep(20);
        }
    }
}
