package dev.cprof.agent.workload;

/**
 * Java code that calls into native code without leaving the "in Java" thread state: compiled
 * {@code System.nanoTime()} and {@code currentTimeMillis()} call the VM's clock functions (and
 * through them clock_gettime) as leaf calls, and the trigonometric functions call a stub or
 * SharedRuntime. A sample in those native frames has no frame anchor to start a Java walk from;
 * the walker must find the Java caller by the native frames' frame pointers.
 * Args: [run millis] (default 120 s).
 */
public final class LeafCalls {
    static volatile long sink;

    public static void main(String[] args) throws Exception {
        long run = args.length > 0 ? Long.parseLong(args[0]) : 120_000;
        long[] ops = new long[1];
        Thread worker = new Thread(() -> {
            while (true) {
                sink += clocks() + (long) trigonometry(ops[0]);
                ops[0]++;
            }
        }, "leaf-calls");
        worker.setDaemon(true);
        worker.start();
        Workload.progress(() -> "ops=" + ops[0]);
        Workload.ready(run);
        Thread.sleep(run);
    }

    static long clocks() {
        long t = 0;
        for (int i = 0; i < 200; i++) {
            t += System.nanoTime() ^ System.currentTimeMillis();
        }
        return t;
    }

    static double trigonometry(long seed) {
        double x = seed * 1e-3, s = 0;
        for (int i = 0; i < 200; i++) {
            s += Math.sin(x + i) * Math.cos(x - i) + Math.tan(x * i);
        }
        return s;
    }
}
