package dev.cprof.testkit;

import java.util.function.BooleanSupplier;

/** Polls a condition: tests wait for real events (processes, ZooKeeper) without fixed sleeps. */
public final class Await {
    private Await() {}

    public static boolean until(long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(20);
        }
        return condition.getAsBoolean();
    }
}
