package dev.cprof.cli;

import java.util.Arrays;

/**
 * Samples per second of each instance over the last {@link #WIDTH} seconds, drawn as a sparkline
 * ({@code ▁▂▃▄▅▆▇█}) for {@code cprof top}'s instance lines. One scale for all instances (the
 * highest rate shown), so an instance that spikes or stalls stands out from the others.
 */
final class Sparklines {
    static final int WIDTH = 20;
    private static final String BARS = "▁▂▃▄▅▆▇█";
    private static final long SECOND = 1_000_000_000L;
    private double[][] rates = new double[0][]; // per instance: a ring of WIDTH rates
    private int[] filled = new int[0];
    private int head; // next slot of every ring
    private long[] last = new long[0];
    private boolean[] fresh = new boolean[0]; // seen since the last column only: no full second yet
    private long lastNanos = Long.MIN_VALUE;

    /** Records the instances' sample totals at {@code nowNanos}; a column is added once a second has passed. */
    void sample(long[] totals, long nowNanos) {
        if (totals.length > rates.length) {
            int old = rates.length;
            rates = Arrays.copyOf(rates, totals.length);
            filled = Arrays.copyOf(filled, totals.length);
            last = Arrays.copyOf(last, totals.length);
            fresh = Arrays.copyOf(fresh, totals.length);
            for (int i = old; i < totals.length; i++) {
                rates[i] = new double[WIDTH];
                last[i] = totals[i]; // a new instance: its first second starts now
                fresh[i] = lastNanos != Long.MIN_VALUE;
            }
        }
        if (lastNanos == Long.MIN_VALUE) {
            lastNanos = nowNanos;
            return;
        }
        long elapsed = nowNanos - lastNanos;
        if (elapsed < SECOND) {
            return;
        }
        for (int i = 0; i < totals.length; i++) {
            rates[i][head] = fresh[i] ? 0 : Math.max(0, totals[i] - last[i]) * 1e9 / elapsed;
            filled[i] = fresh[i] ? 0 : Math.min(WIDTH, filled[i] + 1);
            fresh[i] = false;
            last[i] = totals[i];
        }
        head = (head + 1) % WIDTH;
        lastNanos = nowNanos;
    }

    /** The latest samples/s of an instance (0 before its first second). */
    double current(int instance) {
        return instance < rates.length && filled[instance] > 0 ? rates[instance][(head + WIDTH - 1) % WIDTH] : 0;
    }

    /** {@link #WIDTH} characters, oldest first, blank where the instance has no second yet. */
    String line(int instance) {
        double max = 0;
        for (double[] r : rates) {
            for (double v : r) {
                max = Math.max(max, v);
            }
        }
        StringBuilder sb = new StringBuilder(WIDTH);
        int have = instance < rates.length ? filled[instance] : 0;
        for (int k = 0; k < WIDTH; k++) {
            if (k < WIDTH - have) {
                sb.append(' ');
                continue;
            }
            double v = rates[instance][(head + k) % WIDTH];
            int level = max <= 0 ? 0 : (int) Math.min(BARS.length() - 1, Math.round(v / max * (BARS.length() - 1)));
            sb.append(BARS.charAt(level));
        }
        return sb.toString();
    }
}
