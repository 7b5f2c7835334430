package dev.cprof.bench;

import dev.cprof.testkit.TwoMethods;
import java.util.Map;

/**
 * The accuracy reference of {@link ThirdPartyBench}: THREADS threads that burn CPU as
 * {@link TwoMethods} does, 75 % in {@code hotA} and 25 % in {@code hotB} by thread CPU time, so a
 * correct CPU profile shows exactly that split (±2 pp is the goal).
 *
 * <pre>
 * java dev.cprof.bench.KnownSplitWorkload SECONDS THREADS
 * </pre>
 */
public final class KnownSplitWorkload {
    static final double SHARE_A = TwoMethods.SHARE_A;
    private static volatile boolean running = true;

    private KnownSplitWorkload() {}

    public static void main(String[] args) throws Exception {
        int seconds = Integer.parseInt(args[0]);
        int threads = Integer.parseInt(args[1]);
        Thread[] workers = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            long seed = 11 + i;
            workers[i] = new Thread(() -> TwoMethods.burn(seed, () -> running), "split-" + i);
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
}
