package dev.cprof.discovery.peer;

import java.util.function.Consumer;

/**
 * The peer's log of refused and dropped connections, at most one line per {@link #INTERVAL_MS}:
 * a flood shows up as one line every 10 s carrying the count of the refusals it stands for,
 * instead of filling the disk.
 */
final class RefusalLog {
    static final long INTERVAL_MS = 10_000;

    private volatile Consumer<String> sink = line -> { };
    private long lastNanos;
    private boolean any;
    private int suppressed;

    void sink(Consumer<String> s) {
        sink = s;
    }

    void refused(String line) {
        String out;
        synchronized (this) {
            long now = System.nanoTime();
            if (any && now - lastNanos < INTERVAL_MS * 1_000_000L) {
                suppressed++;
                return;
            }
            out = suppressed == 0 ? line
                    : line + " (and " + suppressed + " more refused or dropped in the last " + INTERVAL_MS / 1000 + " s)";
            any = true;
            lastNanos = now;
            suppressed = 0;
        }
        sink.accept(out);
    }

    /** Reports the refusals held back since the last line (called every interval). */
    void flush() {
        int n;
        synchronized (this) {
            if (suppressed == 0) {
                return;
            }
            n = suppressed;
            suppressed = 0;
            lastNanos = System.nanoTime();
        }
        sink.accept(n + " more connections refused or dropped in the last " + INTERVAL_MS / 1000 + " s");
    }
}
