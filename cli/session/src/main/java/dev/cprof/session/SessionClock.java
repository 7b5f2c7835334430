package dev.cprof.session;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ends a session after its duration or early on Ctrl-C / SIGTERM. The JVM runs shutdown hooks
 * on those signals; the hook ends the wait and then holds the JVM until the command has
 * written its output, so an interrupted session still leaves a complete file.
 */
public final class SessionClock implements AutoCloseable {
    private static final long WRITE_GRACE_MS = 20_000;
    private final CountDownLatch ended = new CountDownLatch(1);
    private final CountDownLatch written = new CountDownLatch(1);
    private final Thread hook = new Thread(this::onSignal, "cprof-signal");
    private volatile boolean interrupted;

    public SessionClock() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    private void onSignal() {
        interrupted = true;
        ended.countDown();
        try {
            written.await(WRITE_GRACE_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits up to {@code nanos}; returns early when a signal arrives or {@link #end()} is called. */
    public void await(long nanos, Runnable everySecond) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            if (ended.await(Math.min(left, 1_000_000_000L), TimeUnit.NANOSECONDS)) {
                return;
            }
            everySecond.run();
        }
    }

    void end() {
        ended.countDown();
    }

    public boolean interrupted() {
        return interrupted;
    }

    /** Output is written: lets a pending shutdown go on, or removes the hook. */
    @Override
    public void close() {
        written.countDown();
        if (!interrupted) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // a signal arrived just now; the hook will find 'written' released
            }
        }
    }
}
