package dev.cprof.agent.workload;

/** A thread sleeping in sleepyMethod, and two threads contending for one monitor held ~50 ms. */
public final class SleepLock {
    /** The lock object: its class name is the leaf frame of lock samples. */
    static final class LockBox {
        synchronized void hold() throws InterruptedException {
            Thread.sleep(50);
        }
    }

    static final LockBox BOX = new LockBox();

    public static void main(String[] args) throws InterruptedException {
        Workload.ready(120_000);
        Thread sleeper = new Thread(SleepLock::sleepLoop, "sleeper");
        sleeper.setDaemon(true);
        sleeper.start();
        for (int i = 1; i <= 2; i++) {
            Thread t = new Thread(SleepLock::contend, "contender-" + i);
            t.setDaemon(true);
            t.start();
        }
        Thread.sleep(Long.MAX_VALUE);
    }

    static void sleepLoop() {
        while (true) {
            sleepyMethod();
        }
    }

    static void sleepyMethod() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            return;
        }
    }

    static void contend() {
        while (true) {
            try {
                contendedMethod();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    static void contendedMethod() throws InterruptedException {
        BOX.hold();
    }
}
