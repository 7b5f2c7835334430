package dev.cprof.agent.workload;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/** Shared bits of the target programs: a readiness line, a watchdog, CPU-time burning. */
final class Workload {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    static volatile double sink;

    private Workload() {}

    /** Prints "ready" for the test and exits the JVM after maxMillis whatever happens. */
    static void ready(long maxMillis) {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(maxMillis);
            } catch (InterruptedException e) {
                return;
            }
            System.exit(0);
        }, "watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        System.out.println("ready");
        System.out.flush();
    }

    /**
     * Prints "progress key=value ..." every 250 ms from a daemon thread, {@code figures} giving
     * the pairs (e.g. "ops=12 defined=300"): the test reads whether the workload kept running.
     */
    static void progress(java.util.function.Supplier<String> figures) {
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
                System.out.println("progress " + figures.get());
                System.out.flush();
            }
        }, "progress");
        t.setDaemon(true);
        t.start();
    }

    /** Spins until this thread has used {@code nanos} more CPU time. */
    static void burnCpu(long nanos) {
        long end = THREADS.getCurrentThreadCpuTime() + nanos;
        double x = sink;
        while (THREADS.getCurrentThreadCpuTime() < end) {
            for (int i = 0; i < 2_000; i++) {
                x += Math.sqrt(i + x);
            }
        }
        sink = x;
    }
}
