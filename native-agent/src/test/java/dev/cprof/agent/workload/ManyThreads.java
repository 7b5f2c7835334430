package dev.cprof.agent.workload;

import java.util.concurrent.locks.LockSupport;

/**
 * Twenty application threads: two burning CPU in spin(), six sleeping in nap(), six parked
 * in park(), six waiting on a monitor in await(). Args: [run millis] (default 120 s).
 */
public final class ManyThreads {
    static final Object MONITOR = new Object();

    public static void main(String[] args) throws InterruptedException {
        long run = args.length > 0 ? Long.parseLong(args[0]) : 120_000;
        for (int i = 0; i < 2; i++) {
            start("spinner-" + i, () -> {
                while (true) {
                    spin();
                }
            });
        }
        for (int i = 0; i < 6; i++) {
            start("napper-" + i, ManyThreads::nap);
            start("parker-" + i, ManyThreads::park);
            start("waiter-" + i, ManyThreads::await);
        }
        Workload.ready(run);
        Thread.sleep(Long.MAX_VALUE);
    }

    static void start(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    static void spin() {
        Workload.burnCpu(5_000_000);
    }

    static void nap() {
        while (true) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    static void park() {
        while (true) {
            LockSupport.parkNanos(1_000_000_000L);
        }
    }

    static void await() {
        synchronized (MONITOR) {
            while (true) {
                try {
                    MONITOR.wait(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }
}
