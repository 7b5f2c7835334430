package dev.cprof.cli;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code TIME} options ("10ms", "30s", "2m"): a whole number and a unit of ns, us, ms, s, m (or
 * min) or h; a bare number is in the option's default unit (seconds here, see the subclasses).
 * Converting while picocli parses makes a bad value a usage error before the command connects,
 * starts or attaches anything.
 */
public class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern NUMBER_UNIT = Pattern.compile("(\\d+)\\s*([a-z]*)");

    private final String defaultUnit;
    private final long minNanos;
    private final String min;

    public DurationConverter() {
        this("s", 0, null);
    }

    DurationConverter(String defaultUnit, long minNanos, String min) {
        this.defaultUnit = defaultUnit;
        this.minNanos = minNanos;
        this.min = min;
    }

    @Override
    public Duration convert(String text) {
        long n;
        try {
            n = nanos(text, defaultUnit);
        } catch (IllegalArgumentException | ArithmeticException e) { // also a number beyond long, or its nanoseconds
            throw new TypeConversionException(e.getMessage());
        }
        if (n < minNanos) {
            throw new TypeConversionException(text + " is too short (at least " + min + ")");
        }
        return Duration.ofNanos(n);
    }

    /** A bare number is milliseconds ({@code --lock}). */
    public static final class Millis extends DurationConverter {
        public Millis() {
            super("ms", 0, null);
        }
    }

    /** {@code -i}: milliseconds when bare, at least 100 us. */
    public static final class Interval extends DurationConverter {
        public Interval() {
            super("ms", 100_000, "100us");
        }
    }

    /** {@code --rotate}: at least 1 s per interval file. */
    public static final class Rotate extends DurationConverter {
        public Rotate() {
            super("s", 1_000_000_000L, "1s");
        }
    }

    /** The value of a TIME option as it was typed, for messages about it. */
    static String typed(CommandSpec spec, String option) {
        List<String> typed = spec.findOption(option).originalStringValues();
        return typed.isEmpty() ? spec.findOption(option).defaultValue() : typed.get(typed.size() - 1);
    }

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
}
