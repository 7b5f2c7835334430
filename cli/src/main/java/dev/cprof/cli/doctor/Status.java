package dev.cprof.cli.doctor;

import java.util.Locale;

/** How a check went: ok, warn (works, with a limit) or fail (cprof cannot work). */
public enum Status {
    OK, WARN, FAIL;

    /** As printed: "ok", "warn", "fail". */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
