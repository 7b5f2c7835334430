package dev.cprof.cli.workload;

/** Burns CPU in two methods, 75 % in {@code hotA} and 25 % in {@code hotB} by thread CPU time. */
public final class TwoMethods {
    private static volatile long sink;

    public static void main(String[] args) {
        var bean = java.lang.management.ManagementFactory.getThreadMXBean();
        System.out.println("ready");
        System.out.flush();
        // A random unit per round: fixed periods alias with the CPU timer's tick.
        java.util.Random random = new java.util.Random();
        while (true) {
            long unit = 500_000 + random.nextInt(2_000_000);
            burnFor(bean, 3 * unit, true);
            burnFor(bean, unit, false);
        }
    }

    private static void burnFor(java.lang.management.ThreadMXBean bean, long cpuNanos, boolean a) {
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
