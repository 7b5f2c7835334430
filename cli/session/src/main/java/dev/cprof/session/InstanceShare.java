package dev.cprof.session;

import java.math.BigDecimal;
import java.util.Locale;

/**
 * {@code --instances N} or {@code --instances P%} (with {@code --spread-by LABEL}): the part of a
 * service's instances a session profiles. A percentage is kept in parts per million, so shares
 * and counts are computed in integers and 5 % of 1,000 is exactly 50.
 *
 * @param count     N, or 0 for a percentage
 * @param ppm       P in parts per million (5 % = 50,000), or 0 for a count
 * @param spreadBy  an instance label to spread over as well as hosts (e.g. zone), or null
 * @param seed      the session's seed: the same seed and instances give the same choice
 */
public record InstanceShare(int count, long ppm, String spreadBy, long seed) {
    static final long MILLION = 1_000_000;

    /**
     * Parses the option's text: a whole number of instances (at least 1), or a percentage above 0
     * and at most 100, with at most four decimals. Anything else is a usage error.
     */
    public static InstanceShare parse(String text, String spreadBy, long seed) {
        String t = text == null ? "" : text.strip();
        String example = " (e.g. --instances 50 or --instances 5%)";
        if (spreadBy != null && (spreadBy.isBlank() || !spreadBy.strip().matches("[A-Za-z0-9_.-]+"))) {
            throw usage("--spread-by: '" + spreadBy + "' is not a label name (letters, digits, _ . -)");
        }
        String label = spreadBy == null ? null : spreadBy.strip();
        try {
            if (t.endsWith("%")) {
                BigDecimal p = new BigDecimal(t.substring(0, t.length() - 1).strip());
                if (p.signum() <= 0 || p.compareTo(BigDecimal.valueOf(100)) > 0) {
                    throw usage("--instances: " + t + " is not a share of the instances: give more than 0% and at most 100%" + example);
                }
                BigDecimal ppm = p.multiply(BigDecimal.valueOf(10_000));
                if (ppm.stripTrailingZeros().scale() > 0) {
                    throw usage("--instances: " + t + " has more than four decimals" + example);
                }
                return new InstanceShare(0, ppm.longValueExact(), label, seed);
            }
            long n = Long.parseLong(t);
            if (n < 1 || n > Integer.MAX_VALUE) {
                throw usage("--instances: " + t + " instances: give at least 1 instance or a percentage" + example);
            }
            return new InstanceShare((int) n, 0, label, seed);
        } catch (NumberFormatException | ArithmeticException e) {
            throw usage("--instances: '" + t + "' is neither a number of instances nor a percentage" + example);
        }
    }

    private static SessionException usage(String message) {
        return new SessionException(ExitCodes.USAGE, message);
    }

    /** True for {@code P%}, false for {@code N}. */
    public boolean isPercent() {
        return count == 0;
    }

    /** As given on the command line, normalized: "50", "5%", "2.5% --spread-by zone". */
    public String describe() {
        String share = isPercent()
                ? BigDecimal.valueOf(ppm).divide(BigDecimal.valueOf(10_000)).stripTrailingZeros().toPlainString() + "%"
                : Integer.toString(count);
        return share + (spreadBy == null ? "" : " --spread-by " + spreadBy);
    }

    /** "profiled 50 of 1,000 instances". */
    public static String profiledOf(int profiled, int of) {
        return String.format(Locale.ROOT, "profiled %,d of %,d %s", profiled, of, of == 1 ? "instance" : "instances");
    }
}
