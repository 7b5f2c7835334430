package dev.cprof.testkit;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * Burns CPU in two methods, 75 % in {@code hotA} and 25 % in {@code hotB} by thread CPU time, so
 * a correct CPU profile shows exactly that split. The CLI's tests run it as a target JVM
 * ({@code main}: "ready", then burn until killed); the benchmarks' known-split workload runs
 * {@link #burn} on several threads.
 */
public final class TwoMethods {
    public static final double SHARE_A = 0.75;
    private static volatile long sink;

    private TwoMethods() {}

    public static void main(String[] args) {
        System.out.println("ready");
        System.out.flush();
        burn(System.nanoTime(), () -> true);
    }

    /** Burns on the calling thread while {@code running} says so. */
    public static void burn(long seed, BooleanSupplier running) {
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        // A random unit per round: fixed periods alias with the profilers' CPU timers.
        SplittableRandom random = new SplittableRandom(seed);
        while (running.getAsBoolean()) {
            long unit = 500_000 + random.nextInt(2_000_000);
            burnFor(bean, 3 * unit, true);
            burnFor(bean, unit, false);
        }
    }

    private static void burnFor(ThreadMXBean bean, long cpuNanos, boolean a) {
        long end = bean.getCurrentThreadCpuTime() + cpuNanos;
        while (bean.getCurrentThreadCpuTime() < end) {
            if (a) {
                hotA();
            } else {
                hotB();
            }
        }
    }

    static void hotA() {
        for (int i = 0; i < 20_000; i++) {
            sink += i * 31L ^ (sink >>> 3);
        }
    }

    static void hotB() {
        for (int i = 0; i < 20_000; i++) {
            sink += i * 31L ^ (sink >>> 3);
        }
    }
}
