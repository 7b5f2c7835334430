package dev.cprof.discovery;

import java.util.function.BooleanSupplier;

/** Polls a condition: tests wait for real events (processes, ZooKeeper) without fixed sleeps. */
final class Await {
    private Await() {}

    static boolean until(long timeoutMs, BooleanSupplier condition) throws InterruptedException {
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
