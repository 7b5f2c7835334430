package dev.cprof.profile;

/**
 * Makes text from outside (input files, frame names, a peer's or an agent's error strings,
 * ZooKeeper data) safe to print on a terminal: every control character (C0, DEL, C1) becomes a
 * visible escape, so a file cannot move the cursor, recolour the terminal or set its title
 * ({@code ESC [ 31 m}, {@code ESC ] 0 ; … BEL}) through a message that quotes it.
 */
public final class SafeText {
    private SafeText() {}

    /** {@code s} with control characters written as {@code \n}, {@code \t}, {@code \r} or {@code \xHH}. */
    public static String escape(String s) {
        if (s == null) {
            return null;
        }
        int i = 0;
        while (i < s.length() && !isControl(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s; // the common case: nothing to copy
        }
        StringBuilder sb = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!isControl(c)) {
                sb.append(c);
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\t') {
                sb.append("\\t");
            } else {
                sb.append(String.format("\\x%02x", (int) c));
            }
        }
        return sb.toString();
    }

    /** C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F); C1 as code points, which is how a decoded
     *  UTF-8 terminal sequence (CSI = U+009B) arrives in a Java string. */
    static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f);
    }
}
