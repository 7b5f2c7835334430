package dev.cprof.profile;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code cprof diff --fail-on} rule, a regression gate for performance tests:
 *
 * <ul>
 *   <li>{@code total:+5%}: NEW's total (samples for cpu and wall, weight for alloc and lock)
 *       grew by more than 5 % relative to BASE's. Only meaningful when both runs lasted as long
 *       and sampled at the same rate (same {@code -d}, {@code -i}, instance count).
 *   <li>{@code GLOB:+2pp} (or {@code total:GLOB:+2pp}): some method whose name matches GLOB
 *       grew its total share by more than 2 percentage points. In GLOB, {@code *} stands for
 *       any characters (dots included); everything else is literal and the whole name must match.
 *   <li>{@code self:GLOB:+2pp}: the same for the self share.
 *   <li>{@code new:1%}: a method that BASE never saw now takes at least 1 % (total share).
 * </ul>
 *
 * The sign is optional ({@code 2pp} = {@code +2pp}); limits are non-negative decimals. The
 * limit is what follows the last ':', so a glob may itself contain ':'.
 */
public final class DiffRule {
    public enum Kind { TOTAL, TOTAL_SHARE, SELF_SHARE, NEW_METHOD }

    private static final Pattern NUMBER = Pattern.compile("(\\+|-)?((?:\\d+(?:\\.\\d+)?|\\.\\d+))");
    private static final String SYNTAX = "expected total:+N%, GLOB:+Npp, self:GLOB:+Npp or new:N%";

    private final String text;
    private final Kind kind;
    private final String glob;
    private final Pattern pattern;
    private final double limit;

    private DiffRule(String text, Kind kind, String glob, double limit) {
        this.text = text;
        this.kind = kind;
        this.glob = glob;
        this.pattern = glob == null ? null : globPattern(glob);
        this.limit = limit;
    }

    /** Parses a rule; a malformed one throws IllegalArgumentException with a one-line reason. */
    public static DiffRule parse(String rule) {
        if (rule == null || rule.isBlank()) {
            throw new IllegalArgumentException("empty rule: " + SYNTAX);
        }
        String text = rule.strip();
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw bad(text, SYNTAX);
        }
        String head = text.substring(0, colon);
        String tail = text.substring(colon + 1);
        if (head.equals("total")) {
            return new DiffRule(text, Kind.TOTAL, null, limit(text, tail, "%", true,
                    "total: takes a relative change in %, e.g. total:+5%"));
        }
        if (head.equals("new")) {
            return new DiffRule(text, Kind.NEW_METHOD, null, limit(text, tail, "%", false,
                    "new: takes the share a new method may reach, e.g. new:1%"));
        }
        if (head.equals("self")) {
            throw bad(text, "self: needs a method pattern, e.g. self:com.shop.*:+2pp");
        }
        Kind kind = Kind.TOTAL_SHARE;
        String glob = head;
        if (head.startsWith("self:")) {
            kind = Kind.SELF_SHARE;
            glob = head.substring("self:".length());
        } else if (head.startsWith("total:")) {
            glob = head.substring("total:".length());
        }
        if (glob.isEmpty()) {
            throw bad(text, head.isEmpty() ? "no method pattern before ':' (" + SYNTAX + ")" : "no method pattern after '" + head + "'");
        }
        double limit = limit(text, tail, "pp", true,
                "a method's share changes in percentage points, e.g. " + (kind == Kind.SELF_SHARE ? "self:" : "") + glob + ":+2pp");
        return new DiffRule(text, kind, glob, limit);
    }

    private static double limit(String text, String tail, String unit, boolean signAllowed, String example) {
        if (!tail.endsWith(unit) || (unit.equals("%") && tail.endsWith("pp%"))) {
            throw bad(text, example);
        }
        String number = tail.substring(0, tail.length() - unit.length());
        Matcher m = NUMBER.matcher(number);
        if (!m.matches()) {
            throw bad(text, "'" + number + "' is not a number; " + example);
        }
        if ("-".equals(m.group(1))) {
            throw bad(text, "a limit is a growth, not a drop; " + example);
        }
        if (m.group(1) != null && !signAllowed) {
            throw bad(text, example);
        }
        double v = Double.parseDouble(m.group(2));
        if (!Double.isFinite(v)) {
            throw bad(text, "the limit is too large");
        }
        return v;
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("bad rule '" + text + "': " + why);
    }

    /** {@code *} = any characters; the rest literal; anchored at both ends. */
    static Pattern globPattern(String glob) {
        StringBuilder re = new StringBuilder();
        int start = 0;
        for (int i = 0; i <= glob.length(); i++) {
            if (i == glob.length() || glob.charAt(i) == '*') {
                if (i > start) {
                    re.append(Pattern.quote(glob.substring(start, i)));
                }
                if (i < glob.length()) {
                    re.append(".*");
                }
                start = i + 1;
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    public String text() {
        return text;
    }

    public Kind kind() {
        return kind;
    }

    /** The method pattern, for TOTAL_SHARE and SELF_SHARE; else null. */
    public String glob() {
        return glob;
    }

    /** The limit: % for TOTAL and NEW_METHOD, percentage points for the share rules. */
    public double limit() {
        return limit;
    }

    public boolean matches(String method) {
        return pattern != null && pattern.matcher(method).matches();
    }

    /**
     * The violation of this rule by the diff, as one line without a prefix, e.g.
     * {@code com.shop.Cart.total grew 3.1pp (rule 'com.shop.*:+2pp')}; empty when the rule holds.
     */
    public Optional<String> check(Diff diff) {
        String rule = " (rule '" + text + "')";
        switch (kind) {
            case TOTAL -> {
                double change = diff.totalChangePercent();
                if (change > limit) {
                    String what = "total " + Events.name(diff.event) + " " + Events.unit(diff.event);
                    String from = String.format(Locale.ROOT, "%,d \u2192 %,d", diff.baseTotal(), diff.newTotal());
                    return Optional.of(Double.isInfinite(change)
                            ? what + " grew from nothing (" + from + ")" + rule
                            : what + " grew " + number(change) + "% (" + from + ")" + rule);
                }
                return Optional.empty();
            }
            case NEW_METHOD -> {
                List<Diff.Row> hits = new ArrayList<>();
                for (Diff.Row r : diff.rows()) {
                    if (r.isNew() && r.newTotal() >= limit) {
                        hits.add(r);
                    }
                }
                if (hits.isEmpty()) {
                    return Optional.empty();
                }
                hits.sort((a, b) -> Double.compare(b.newTotal(), a.newTotal()));
                Diff.Row worst = hits.get(0);
                return Optional.of("new method " + worst.method() + " takes " + number(worst.newTotal()) + "%"
                        + more(hits.size() - 1, "new method", "at " + number(limit) + "% or more") + rule);
            }
            default -> {
                boolean self = kind == Kind.SELF_SHARE;
                List<Diff.Row> hits = new ArrayList<>();
                for (Diff.Row r : diff.rows()) {
                    double d = self ? r.deltaSelf() : r.deltaTotal();
                    if (d > limit + Diff.EPSILON_PP && matches(r.method())) {
                        hits.add(r);
                    }
                }
                if (hits.isEmpty()) {
                    return Optional.empty();
                }
                hits.sort((a, b) -> self ? Double.compare(b.deltaSelf(), a.deltaSelf()) : Double.compare(b.deltaTotal(), a.deltaTotal()));
                Diff.Row worst = hits.get(0);
                double d = self ? worst.deltaSelf() : worst.deltaTotal();
                return Optional.of(worst.method() + " grew " + number(d) + "pp" + (self ? " self" : "")
                        + more(hits.size() - 1, "method", "over " + number(limit) + "pp") + rule);
            }
        }
    }

    private static String more(int n, String what, String how) {
        return n == 0 ? "" : " (and " + n + " more " + what + (n == 1 ? "" : "s") + " " + how + ")";
    }

    /** Up to two decimals, no trailing zeros: 3.1, 2.04, 5. */
    static String number(double v) {
        if (!Double.isFinite(v)) {
            return v > 0 ? "\u221e" : "-\u221e";
        }
        BigDecimal d = BigDecimal.valueOf(v).setScale(2, RoundingMode.HALF_UP).stripTrailingZeros();
        if (d.signum() == 0) {
            return "0";
        }
        return d.toPlainString();
    }

    @Override
    public String toString() {
        return text;
    }
}
