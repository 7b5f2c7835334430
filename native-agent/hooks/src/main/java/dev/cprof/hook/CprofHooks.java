package dev.cprof.hook;

import java.util.concurrent.ThreadLocalRandom;

/**
 * What the rewritten JDBC methods call. Lives on the target's bootstrap class path, so every
 * driver's class loader finds it. Nothing here may throw into the application or block it:
 * every entry point catches everything, and the only per-call allocation is in the calls that
 * are recorded (their label), which the threshold sampling bounds.
 */
public final class CprofHooks {
    /** Returned by {@link #jdbcEnter()} while no session records jdbc: exit does nothing. */
    public static final long OFF = Long.MIN_VALUE;
    /** Returned for a call inside another hooked call (a pool's wrapper calling the driver): not timed twice. */
    public static final long NESTED = Long.MIN_VALUE + 1;
    /** EventType.JDBC of cprof.proto. */
    static final int EVENT_JDBC = 5;

    static volatile boolean jdbcOn;
    static volatile long thresholdNs = 1_000_000L;
    /** Calls into the hooks since the JVM started (tests check that a finished session leaves none). */
    static volatile long hookCalls;

    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private CprofHooks() {}

    /** At the start of a hooked execute method: the start time, or OFF / NESTED. */
    public static long jdbcEnter() {
        if (!jdbcOn) {
            return OFF;
        }
        try {
            int[] depth = DEPTH.get();
            return depth[0]++ > 0 ? NESTED : System.nanoTime();
        } catch (Throwable t) {
            return OFF;
        }
    }

    /**
     * At every exit of a hooked execute method (normal or by exception). {@code sql} is the
     * statement text argument, null for a prepared statement (named when it was prepared).
     */
    public static void jdbcExit(Object statement, String sql, long start, Throwable error) {
        if (start == OFF) {
            return;
        }
        try {
            DEPTH.get()[0]--;
            if (start == NESTED || !jdbcOn) {
                return;
            }
            hookCalls++;
            long weight = weight(System.nanoTime() - start, thresholdNs);
            if (weight == 0) {
                return;
            }
            String label = Statements.label(statement, sql);
            if (error != null) {
                label = label + "\n[" + error.getClass().getName() + "]";
            }
            record0(EVENT_JDBC, label, weight);
        } catch (Throwable t) {
            // never into the application
        }
    }

    /** At the return of Connection.prepareStatement/prepareCall(String, ...): remembers the text. */
    public static void jdbcPrepared(Object statement, String sql) {
        if (!jdbcOn || statement == null || sql == null) {
            return;
        }
        try {
            Statements.prepared(statement, sql);
        } catch (Throwable t) {
            // never into the application
        }
    }

    /**
     * The nanoseconds a call of {@code ns} is recorded with, 0 = not recorded. A call of at least
     * the threshold T is recorded as it is; a shorter one with chance ns / T, as T. Its expected
     * weight is its length either way, so totals and shares count short calls too, and short
     * calls cost at most one record per T of time spent in them (as the lock event does).
     */
    static long weight(long ns, long threshold) {
        if (ns <= 0) {
            return 0;
        }
        if (ns >= threshold) {
            return ns;
        }
        return ThreadLocalRandom.current().nextLong(threshold) < ns ? threshold : 0;
    }

    /** Hands one event to the native agent (registered by it with RegisterNatives). */
    static native void record0(int event, String label, long weightNs);
}
