package dev.cprof.discovery.registry;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The content encoding of every cprof znode: UTF-8 {@code key=value} lines, readable with
 * {@code zkCli get}. Backslash, newline and carriage return in values are escaped as
 * {@code \\}, {@code \n}, {@code \r}; keys must not contain '=' or line breaks. Unknown keys are
 * kept, so newer writers can add fields without breaking older readers.
 */
public final class KeyValues {
    private KeyValues() {}

    public static byte[] encode(Map<String, String> values) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : values.entrySet()) {
            String k = e.getKey();
            if (k.isEmpty() || k.indexOf('=') >= 0 || k.indexOf('\n') >= 0 || k.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("bad key: '" + k + "'");
            }
            sb.append(k).append('=');
            String v = e.getValue() == null ? "" : e.getValue();
            for (int i = 0; i < v.length(); i++) {
                char c = v.charAt(i);
                switch (c) {
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    default -> sb.append(c);
                }
            }
            sb.append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Lenient: lines without '=' are skipped; null or empty data gives an empty map. */
    public static Map<String, String> decode(byte[] data) {
        Map<String, String> out = new LinkedHashMap<>();
        if (data == null) {
            return out;
        }
        for (String line : new String(data, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            out.put(line.substring(0, eq), unescape(line.substring(eq + 1)));
        }
        return out;
    }

    private static String unescape(String v) {
        if (v.indexOf('\\') < 0) {
            return v;
        }
        StringBuilder sb = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\' && i + 1 < v.length()) {
                char n = v.charAt(++i);
                sb.append(n == 'n' ? '\n' : n == 'r' ? '\r' : n);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    static long parseLong(String s) {
        try {
            return s == null || s.isEmpty() ? 0 : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
