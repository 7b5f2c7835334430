package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SparklinesTest {
    static final long S = 1_000_000_000L;

    @Test
    void oneColumnPerSecondOnOneScaleForAllInstances() {
        Sparklines s = new Sparklines();
        long[] totals = {0, 0};
        s.sample(totals, 0);
        // instance 0: 100/s steady; instance 1: 0/s, then a spike of 700/s in the third second
        long t = 0;
        int[] second = {0, 0, 700, 0};
        for (int k = 0; k < 4; k++) {
            t += S;
            totals = new long[] {totals[0] + 100, totals[1] + second[k]};
            s.sample(totals, t);
            s.sample(totals, t + S / 2); // a refresh within the second adds no column
        }
        String pad = " ".repeat(Sparklines.WIDTH - 4);
        assertEquals(pad + "▂▂▂▂", s.line(0));
        assertEquals(pad + "▁▁█▁", s.line(1));
        assertEquals(100, s.current(0), 1e-9);
        assertEquals(0, s.current(1), 1e-9);
    }

    @Test
    void anInstanceThatJoinsLaterStartsBlank() {
        Sparklines s = new Sparklines();
        s.sample(new long[] {0}, 0);
        s.sample(new long[] {50}, S);
        s.sample(new long[] {100, 1000}, 2 * S); // instance 1 joined with 1000 samples already merged
        s.sample(new long[] {150, 1050}, 3 * S);
        assertEquals(" ".repeat(Sparklines.WIDTH - 1) + "█", s.line(1), "no column for the second it joined in");
        assertEquals(3, s.line(0).trim().length());
        for (int k = 4; k < 4 + 2 * Sparklines.WIDTH; k++) {
            s.sample(new long[] {150 + 50L * (k - 3), 1050 + 50L * (k - 3)}, k * S);
        }
        assertEquals(Sparklines.WIDTH, s.line(0).trim().length(), "the last WIDTH seconds only");
    }
}
