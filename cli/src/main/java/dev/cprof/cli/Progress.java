package dev.cprof.cli;

import dev.cprof.session.SessionTick;
import java.io.PrintWriter;
import java.util.Locale;

/** The one-line progress display on stderr, only when it is a terminal. */
final class Progress implements SessionTick {
    private final PrintWriter err;
    private final boolean enabled;
    private int lastLength;

    Progress(PrintWriter err, boolean enabled) {
        this.err = err;
        this.enabled = enabled;
    }

    @Override
    public void tick(long attached, long instances, long samples, long bytes, long nanosLeft) {
        if (!enabled) {
            return;
        }
        String line = String.format(Locale.ROOT, "cprof: %d/%d instances · %,d samples · %s · %ds left",
                attached, instances, samples, human(bytes), Math.max(0, nanosLeft / 1_000_000_000L));
        err.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
        err.flush();
        lastLength = line.length();
    }

    @Override
    public void done() {
        if (enabled && lastLength > 0) {
            err.print("\r" + " ".repeat(lastLength) + "\r");
            err.flush();
        }
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1048576.0);
    }
}
