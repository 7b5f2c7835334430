package dev.cprof.session;

/** The exit codes of every cprof command (README, Exit codes). */
public final class ExitCodes {
    private ExitCodes() {}

    /** Done. */
    public static final int OK = 0;
    /** Failed: bad input, I/O error, or a failure while profiling. */
    public static final int FAILED = 1;
    /** Usage: an unknown option, a missing or malformed argument. */
    public static final int USAGE = 2;
    /** Partial: some instances failed, the rest were written. */
    public static final int PARTIAL = 3;
    /** Nothing found to profile. */
    public static final int NOTHING_FOUND = 4;
    /** {@code diff --fail-on} found a regression. */
    public static final int REGRESSION = 10;
}
