package dev.cprof.agent.workload;

/**
 * Compiled code that calls the VM's runtime: allocations on the slow path (run it with
 * {@code -XX:-UseTLAB} and every {@code new} goes through a runtime stub into the VM) and a
 * contended monitor (monitorenter/monitorexit stubs, the exit a leaf call that wakes a waiter).
 * While a runtime stub calls into the VM the thread's frame anchor has no pc, and a leaf call
 * leaves the thread "in Java" with no anchor at all: AsyncGetCallTrace fails on both unless the
 * walker helps. Args: [run millis] (default 120 s) [threads] (default 3).
 */
public final class RuntimeCalls {
    private static final Object LOCK = new Object();
    static volatile Object sink;
    static long counter;

    public static void main(String[] args) throws Exception {
        long run = args.length > 0 ? Long.parseLong(args[0]) : 120_000;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        long[] ops = new long[threads];
        for (int t = 0; t < threads; t++) {
            int index = t;
            Thread worker = new Thread(() -> {
                while (true) {
                    sink = allocate(index);
                    contend();
                    ops[index]++;
                }
            }, "runtime-calls-" + t);
            worker.setDaemon(true);
            worker.start();
        }
        Workload.progress(() -> {
            long sum = 0;
            for (long o : ops) {
                sum += o;
            }
            return "ops=" + sum;
        });
        Workload.ready(run);
        Thread.sleep(run);
    }

    static Object allocate(int seed) {
        Object[] keep = new Object[8];
        for (int i = 0; i < 64; i++) {
            keep[i & 7] = (i & 1) == 0 ? new int[seed + i] : new StringBuilder(i);
        }
        return keep;
    }

    static void contend() {
        for (int i = 0; i < 16; i++) {
            synchronized (LOCK) {
                counter++;
            }
        }
    }
}
