package dev.cprof.agent.workload;

/**
 * Burns CPU in two methods with a 75/25 split measured in thread CPU time (not iterations):
 * hotA 3 units, hotB 1 unit of a random length, forever. Args: [run millis] (default 120 s).
 */
public final class CpuSplit {
    public static void main(String[] args) {
        long run = args.length > 0 ? Long.parseLong(args[0]) : 120_000;
        Workload.ready(run);
        java.util.Random random = new java.util.Random(42);
        while (true) {
            // A random unit per round: a fixed period would alias with the sampling period
            // (CPU timers fire on scheduler ticks) and bias the shares either way.
            long unit = 300_000 + random.nextInt(2_000_000);
            hotA(3 * unit);
            hotB(unit);
        }
    }

    static void hotA(long nanos) {
        Workload.burnCpu(nanos);
    }

    static void hotB(long nanos) {
        Workload.burnCpu(nanos);
    }
}
