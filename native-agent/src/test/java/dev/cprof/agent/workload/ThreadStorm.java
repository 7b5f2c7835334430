package dev.cprof.agent.workload;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Many threads at once: args[0] live threads (default 1,000) waking every 200 ms for a little
 * work; a churner starting short-lived threads as fast as it can (at most 500 alive at once);
 * one thread recursing args[1] frames deep (default 3,000) and burning CPU at the bottom.
 * Prints "progress live=N started=N ended=N deep=N". Args: [live] [depth] [run millis].
 */
public final class ThreadStorm {
    static final AtomicLong STARTED = new AtomicLong();
    static final AtomicLong ENDED = new AtomicLong();
    static final AtomicLong DEEP = new AtomicLong();
    static volatile long sink;

    public static void main(String[] args) throws InterruptedException {
        int live = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
        int depth = args.length > 1 ? Integer.parseInt(args[1]) : 3_000;
        long run = args.length > 2 ? Long.parseLong(args[2]) : 420_000;
        for (int i = 0; i < live; i++) {
            start("live-" + i, 256 * 1024, ThreadStorm::liveLoop);
        }
        start("deep", 64L * 1024 * 1024, () -> {
            while (true) {
                recurse(depth);
                DEEP.incrementAndGet();
            }
        });
        start("churner", 0, ThreadStorm::churn);
        Workload.ready(run);
        Workload.progress(() -> "live=" + live + " started=" + STARTED.get() + " ended=" + ENDED.get() + " deep=" + DEEP.get());
        Thread.sleep(Long.MAX_VALUE);
    }

    static Thread start(String name, long stackSize, Runnable r) {
        Thread t = new Thread(null, r, name, stackSize);
        t.setDaemon(true);
        t.start();
        return t;
    }

    static void liveLoop() {
        java.util.Random random = new java.util.Random();
        while (true) {
            LockSupport.parkNanos(150_000_000L + random.nextInt(100_000_000));
            work(2_000);
        }
    }

    static void churn() {
        while (true) {
            if (STARTED.get() - ENDED.get() >= 500) {
                LockSupport.parkNanos(1_000_000L);
                continue;
            }
            STARTED.incrementAndGet();
            start("short-" + STARTED.get(), 256 * 1024, ThreadStorm::shortLife);
        }
    }

    static void shortLife() {
        work(5_000);
        ENDED.incrementAndGet();
    }

    static void recurse(int n) {
        if (n <= 1) {
            bottom();
        } else {
            recurse(n - 1);
        }
    }

    static void bottom() {
        Workload.burnCpu(20_000_000L);
    }

    static void work(int n) {
        long x = sink;
        for (int i = 0; i < n; i++) {
            x = x * 31 + i;
        }
        sink = x;
    }
}
