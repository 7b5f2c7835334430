package dev.cprof.hook;

/**
 * A statement's text as it may be recorded: every literal (string, number, hex, boolean-free)
 * becomes {@code ?}, a list {@code IN (?, ?, ...)} becomes {@code IN (?)}, comments go, runs of
 * whitespace become one space, and the result is capped at {@link #MAX_CHARS}. A literal is
 * never copied, even in part: text in quotes that does not end (a truncated statement) is
 * dropped as a whole.
 */
public final class SqlNormalizer {
    public static final int MAX_CHARS = 200;

    private SqlNormalizer() {}

    public static String normalize(String sql) {
        StringBuilder out = new StringBuilder(Math.min(sql.length(), MAX_CHARS + 8));
        int n = sql.length();
        int i = 0;
        while (i < n && out.length() <= MAX_CHARS) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
                space(out);
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                while (i < n && sql.charAt(i) != '\n') {
                    i++;
                }
                space(out);
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int end = sql.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                space(out);
            } else if (c == '\'') {
                i = skipQuoted(sql, i, '\'');
                literal(out);
            } else if (c == '"' || c == '`' || c == '[') {
                // a quoted identifier: kept, it names a table or column, not a value
                char close = c == '[' ? ']' : c;
                int end = skipQuoted(sql, i, close);
                out.append(sql, i, Math.min(end, n));
                i = end;
            } else if (isDigit(c) || (c == '.' && i + 1 < n && isDigit(sql.charAt(i + 1)))) {
                if (endsWord(out)) {
                    out.append(c); // part of an identifier: t1, col2
                    i++;
                } else {
                    i = skipNumber(sql, i);
                    literal(out);
                }
            } else if (c == '$' && i + 1 < n && isDigit(sql.charAt(i + 1)) && !endsWord(out)) {
                i = skipNumber(sql, i + 1); // $1: a positional parameter, already not a value
                out.append('?');
            } else {
                out.append(c);
                i++;
            }
        }
        String s = collapseInLists(out.toString().trim());
        if (s.length() > MAX_CHARS) {
            s = s.substring(0, MAX_CHARS) + "\u2026";
        }
        return s;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean endsWord(StringBuilder out) {
        if (out.length() == 0) {
            return false;
        }
        char p = out.charAt(out.length() - 1);
        return Character.isLetterOrDigit(p) || p == '_' || p == '$' || p == '#' || p == '@';
    }

    private static void space(StringBuilder out) {
        if (out.length() > 0 && out.charAt(out.length() - 1) != ' ') {
            out.append(' ');
        }
    }

    private static void literal(StringBuilder out) {
        // a sign that belongs to the number ("= -1", "(-2"), not a subtraction ("a - 1")
        int m = out.length() - 1;
        if (m >= 0 && (out.charAt(m) == '-' || out.charAt(m) == '+')) {
            int p = m - 1;
            while (p >= 0 && out.charAt(p) == ' ') {
                p--;
            }
            char before = p >= 0 ? out.charAt(p) : '(';
            if (!Character.isLetterOrDigit(before) && before != '_' && before != ')' && before != '?' && before != '"') {
                out.setLength(m);
            }
        }
        out.append('?');
    }

    /** Index after the quoted text starting at i; doubled quotes and backslashes escape. */
    private static int skipQuoted(String sql, int i, char close) {
        int n = sql.length();
        int j = i + 1;
        while (j < n) {
            char c = sql.charAt(j);
            if (c == '\\' && close == '\'' && j + 1 < n) {
                j += 2;
            } else if (c == close) {
                if (j + 1 < n && sql.charAt(j + 1) == close) {
                    j += 2;
                } else {
                    return j + 1;
                }
            } else {
                j++;
            }
        }
        return n;
    }

    /** Digits, hex (0x..), a fraction and an exponent. */
    private static int skipNumber(String sql, int i) {
        int n = sql.length();
        if (sql.startsWith("0x", i) || sql.startsWith("0X", i)) {
            i += 2;
            while (i < n && Character.digit(sql.charAt(i), 16) >= 0) {
                i++;
            }
            return i;
        }
        while (i < n && (isDigit(sql.charAt(i)) || sql.charAt(i) == '.')) {
            i++;
        }
        if (i < n && (sql.charAt(i) == 'e' || sql.charAt(i) == 'E')) {
            int j = i + 1;
            if (j < n && (sql.charAt(j) == '+' || sql.charAt(j) == '-')) {
                j++;
            }
            if (j < n && isDigit(sql.charAt(j))) {
                i = j;
                while (i < n && isDigit(sql.charAt(i))) {
                    i++;
                }
            }
        }
        return i;
    }

    /** "(?, ?, ?)" and "(?,?)" become "(?)", so IN lists of any length are one statement. */
    static String collapseInLists(String s) {
        if (s.indexOf("?,") < 0 && s.indexOf("? ,") < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        int n = s.length();
        int i = 0;
        while (i < n) {
            char c = s.charAt(i);
            if (c == '(') {
                int j = i + 1;
                boolean list = false;
                int k = skipSpaces(s, j);
                if (k < n && s.charAt(k) == '?') {
                    k = skipSpaces(s, k + 1);
                    while (k < n && s.charAt(k) == ',') {
                        int m = skipSpaces(s, k + 1);
                        if (m < n && s.charAt(m) == '?') {
                            k = skipSpaces(s, m + 1);
                            list = true;
                        } else {
                            break;
                        }
                    }
                    if (list && k < n && s.charAt(k) == ')') {
                        out.append("(?)");
                        i = k + 1;
                        continue;
                    }
                }
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    private static int skipSpaces(String s, int i) {
        while (i < s.length() && s.charAt(i) == ' ') {
            i++;
        }
        return i;
    }
}
