package dev.cprof.agent.workload;

/** Allocates byte[] in two methods, 70% of the bytes in allocA and 30% in allocB. */
public final class AllocSplit {
    static final Object[] KEEP = new Object[64]; // escapes, so the JIT cannot remove them
    static int next;

    public static void main(String[] args) throws InterruptedException {
        Workload.ready(120_000);
        while (true) {
            for (int i = 0; i < 100; i++) {
                allocA();
                allocB();
            }
            Thread.sleep(1); // a moderate rate, the machine is shared
        }
    }

    static void allocA() {
        for (int i = 0; i < 7; i++) {
            KEEP[next++ & 63] = new byte[1000];
        }
    }

    static void allocB() {
        for (int i = 0; i < 3; i++) {
            KEEP[next++ & 63] = new byte[1000];
        }
    }
}
