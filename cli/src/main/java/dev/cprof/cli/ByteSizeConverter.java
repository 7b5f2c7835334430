package dev.cprof.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code SIZE} options ("512k", "2m"): bytes, a whole number with no unit or b, k, m, g (also kb,
 * kib…; powers of 1024). Converted while picocli parses, so a bad value is a usage error first.
 */
public final class ByteSizeConverter implements ITypeConverter<Long> {
    private static final Pattern NUMBER_UNIT = Pattern.compile("(\\d+)\\s*([a-z]*)");

    @Override
    public Long convert(String text) {
        try {
            return bytes(text);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new TypeConversionException(e.getMessage());
        }
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
