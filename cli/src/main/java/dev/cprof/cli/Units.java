package dev.cprof.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations ("10ms", "30s", "1m") and sizes ("512k", "1m") as the options take them. */
final class Units {
    private static final Pattern NUMBER_UNIT = Pattern.compile("(\\d+)\\s*([a-z]*)");

    private Units() {}

    /** Nanoseconds; a bare number is seconds for durations given in s, so callers pass the default unit. */
    static long nanos(String text, String defaultUnit) {
        Matcher m = NUMBER_UNIT.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (e.g. 10ms, 30s, 2m)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2).isEmpty() ? defaultUnit : m.group(2);
        long factor = switch (unit) {
            case "ns" -> 1L;
            case "us" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m", "min" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> throw new IllegalArgumentException("'" + text + "': unknown time unit '" + unit + "' (use ns, us, ms, s, m or h)");
        };
        return Math.multiplyExact(n, factor);
    }

    static long bytes(String text) {
        Matcher m = NUMBER_UNIT.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (e.g. 512k, 2m)");
        }
        long n = Long.parseLong(m.group(1));
        long factor = switch (m.group(2)) {
            case "", "b" -> 1L;
            case "k", "kb", "kib" -> 1L << 10;
            case "m", "mb", "mib" -> 1L << 20;
            case "g", "gb", "gib" -> 1L << 30;
            default -> throw new IllegalArgumentException("'" + text + "': unknown size unit '" + m.group(2) + "' (use k, m or g)");
        };
        return Math.multiplyExact(n, factor);
    }
}
