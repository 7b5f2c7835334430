package dev.cprof.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The accuracy reference of {@link ThirdPartyBench}: THREADS threads that burn CPU in two
 * methods, 75 % in {@code hotA} and 25 % in {@code hotB} by thread CPU time, so a correct CPU
 * profile shows exactly that split (±2 pp is the goal). The unit of every round is random: a
 * fixed period would alias with the profilers' CPU timers.
 *
 * <pre>
 * java dev.cprof.bench.KnownSplitWorkload SECONDS THREADS
 * </pre>
 */
public final class KnownSplitWorkload {
    static final double SHARE_A = 0.75;
    private static volatile long sink;
    private static volatile boolean running = true;

    private KnownSplitWorkload() {}

    public static void main(String[] args) throws Exception {
        int seconds = Integer.parseInt(args[0]);
        int threads = Integer.parseInt(args[1]);
        Thread[] workers = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            long seed = 11 + i;
            workers[i] = new Thread(() -> burn(seed), "split-" + i);
            workers[i].start();
        }
        ResultLine.ready("threads=" + threads);
        ResultLine.sleepUnlessStopped(seconds * 1000L);
        running = false;
        for (Thread w : workers) {
            w.join();
        }
        ResultLine.printAndExit(Map.of("kind", "split", "shareA", SHARE_A));
    }

    private static void burn(long seed) {
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        SplittableRandom random = new SplittableRandom(seed);
        while (running) {
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
