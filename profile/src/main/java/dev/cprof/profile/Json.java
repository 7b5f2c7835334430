package dev.cprof.profile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;

/**
 * The JSON that cprof writes, without a JSON library: string literals (RFC 8259), plain
 * decimal numbers, and a small writer for maps, lists and scalars ({@code --json} summaries).
 *
 * <p>Every string literal escapes what JSON requires (quote, backslash, control characters)
 * plus U+007F-U+009F (DEL and C1, which a terminal may obey), U+2028 and U+2029 (for JavaScript's sake) and lone surrogates (so that a UTF-8
 * encoder cannot turn them into '?'). The HTML-safe variant also writes {@code <}, {@code >}
 * and {@code &} as {@code \\u} escapes, so the literal can sit inside a {@code <script>}
 * element without any name closing it.
 */
public final class Json {
    private Json() {}

    /** {@code s} as a JSON string literal, quotes included. */
    public static String string(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        string(sb, s);
        return sb.toString();
    }

    /** Appends {@code s} as a JSON string literal. */
    public static void string(StringBuilder sb, String s) {
        try {
            string(sb, s, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringBuilder does not throw
        }
    }

    /** Appends {@code s} as a JSON string literal; {@code htmlSafe} also escapes {@code < > &}. */
    public static void string(Appendable out, String s, boolean htmlSafe) throws IOException {
        out.append('"');
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String esc = switch (c) {
                case '"' -> "\\\"";
                case '\\' -> "\\\\";
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                case '\t' -> "\\t";
                case '\b' -> "\\b";
                case '\f' -> "\\f";
                default -> needsUnicodeEscape(s, i, htmlSafe) ? String.format("\\u%04x", (int) c) : null;
            };
            if (esc != null) {
                out.append(s, start, i).append(esc);
                start = i + 1;
            }
        }
        out.append(s, start, s.length()).append('"');
    }

    private static boolean needsUnicodeEscape(String s, int i, boolean htmlSafe) {
        char c = s.charAt(i);
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') { // C1 too: --json goes to terminals
            return true;
        }
        if (htmlSafe && (c == '<' || c == '>' || c == '&')) {
            return true;
        }
        if (Character.isHighSurrogate(c)) {
            return !(i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)));
        }
        return Character.isLowSurrogate(c) && !(i > 0 && Character.isHighSurrogate(s.charAt(i - 1)));
    }

    /** A finite number rounded to {@code decimals} places, plain notation; infinities and NaN become null. */
    public static String number(double v, int decimals) {
        if (!Double.isFinite(v)) {
            return "null";
        }
        BigDecimal d = BigDecimal.valueOf(v).setScale(decimals, RoundingMode.HALF_UP).stripTrailingZeros();
        return d.signum() == 0 ? "0" : d.toPlainString();
    }

    /**
     * {@code value} as JSON: {@link Map} (keys by {@link String#valueOf}) → object in the map's
     * order, {@link List} → array, {@link String} → string, {@link Double} and {@link Float} →
     * number with at most 3 decimals (null when not finite), other numbers and booleans as they
     * print, null → null, anything else → its {@code toString()} as a string.
     */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        append(sb, value);
        return sb.toString();
    }

    private static void append(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            string(sb, s);
        } else if (v instanceof Double || v instanceof Float) {
            sb.append(number(((Number) v).doubleValue(), 3));
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "" : ",");
                first = false;
                string(sb, String.valueOf(e.getKey()));
                sb.append(':');
                append(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                sb.append(i == 0 ? "" : ",");
                append(sb, l.get(i));
            }
            sb.append(']');
        } else {
            string(sb, v.toString());
        }
    }
}
