package dev.cprof.agent.workload;

/**
 * Allocates as many small arrays in allocSmall as arrays three times larger in allocLarge, so
 * 25 % of the bytes come from allocSmall and 75 % from allocLarge. byte[8] is 24 bytes and
 * byte[56] 72 (a 16-byte array header, or 12 with compact headers, rounded to 8): both far
 * below any heap sampling interval, where a sample's chance grows with the object's size.
 */
public final class AllocSizeSplit {
    static final Object[] KEEP = new Object[1024]; // escapes, so the JIT cannot remove them
    static int next;

    public static void main(String[] args) throws InterruptedException {
        Workload.ready(120_000);
        while (true) {
            for (int i = 0; i < 100; i++) {
                allocSmall();
                allocLarge();
            }
            Thread.sleep(1); // ~0.5 GB/s, not all a shared machine can give
        }
    }

    static void allocSmall() {
        for (int i = 0; i < 64; i++) {
            KEEP[next++ & 1023] = new byte[8];
        }
    }

    static void allocLarge() {
        for (int i = 0; i < 64; i++) {
            KEEP[next++ & 1023] = new byte[56];
        }
    }
}
