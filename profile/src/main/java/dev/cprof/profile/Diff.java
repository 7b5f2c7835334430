package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The comparison of two profiles of one event, both normalised by their total (samples for
 * cpu and wall, weight for alloc and lock: {@link Events#measure}), as {@code cprof diff}
 * shows it. Three parts, each a class of its own:
 *
 * <ul>
 *   <li>{@link DiffTree}: both profiles projected onto one tree of name paths (root-first
 *       sequences of frame names), with a self and a total value in BASE and in NEW per node;
 *       the differential flame graph draws it with NEW's widths.
 *   <li>{@link DiffRows}: the method table, one {@link Row} per frame name.
 *   <li>{@link DiffColours}: the colour rule and scale of the differential flame graphs.
 * </ul>
 *
 * <p>Per method (frame name, all nodes with that name aggregated): self share = the method's
 * self value over the profile's total; total share = the value of every stack that contains
 * the method, counted once even when the method recurses. Shares are in percent (0..100), and
 * changes are in percentage points (NEW share minus BASE share).
 */
public final class Diff {
    /** Changes smaller than this many percentage points count as none (floating-point noise). */
    static final double EPSILON_PP = 1e-9;

    public final EventType event;
    private final DiffTree tree;
    private final List<Row> rows;

    /** One method: its shares in BASE and NEW, in percent of each profile's total. */
    public record Row(String method, double baseSelf, double newSelf, double baseTotal, double newTotal) {
        public double deltaSelf() {
            return newSelf - baseSelf;
        }

        public double deltaTotal() {
            return newTotal - baseTotal;
        }

        /** Absent from BASE (no sample there) and present in NEW. */
        public boolean isNew() {
            return baseTotal == 0 && newTotal > 0;
        }

        /** Whether either share changed. */
        public boolean changed() {
            return Math.abs(deltaSelf()) > EPSILON_PP || Math.abs(deltaTotal()) > EPSILON_PP;
        }

        /** The sort key of the table: the larger of the two changes, by magnitude. */
        public double magnitude() {
            return Math.max(Math.abs(deltaSelf()), Math.abs(deltaTotal()));
        }
    }

    private Diff(Profile base, Profile next, EventType event) {
        this.event = event;
        this.tree = new DiffTree(base, next, event);
        this.rows = DiffRows.of(tree);
    }

    /** Compares {@code event} in BASE and NEW, over all instances of each. */
    public static Diff of(Profile base, Profile next, EventType event) {
        return new Diff(base, next, event);
    }

    /** Total of the event in BASE (samples or weight). */
    public long baseTotal() {
        return tree.baseTotal();
    }

    /** Total of the event in NEW (samples or weight). */
    public long newTotal() {
        return tree.newTotal();
    }

    /** Relative change of the total in percent: +7.3 means NEW has 7.3 % more; infinite when BASE is empty. */
    public double totalChangePercent() {
        long baseTotal = tree.baseTotal();
        long newTotal = tree.newTotal();
        if (baseTotal == 0) {
            return newTotal == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return 100.0 * (newTotal - baseTotal) / baseTotal;
    }

    /** Every method with a sample in BASE or NEW, largest change first (then by name). */
    public List<Row> rows() {
        return rows;
    }

    /** The {@code n} largest changes (all when n ≤ 0), leaving out methods whose shares did not move. */
    public List<Row> top(int n) {
        List<Row> out = new ArrayList<>();
        for (Row r : rows) {
            if (n > 0 && out.size() == n) {
                break;
            }
            if (r.changed()) {
                out.add(r);
            }
        }
        return out;
    }

    /** The row of one method, by exact frame name. */
    public Optional<Row> row(String method) {
        return rows.stream().filter(r -> r.method().equals(method)).findFirst();
    }

    static double pct(long v, long total) {
        return total > 0 ? 100.0 * v / total : 0;
    }

    /** The name-path tree of both profiles, for the differential flame graphs. */
    DiffTree tree() {
        return tree;
    }

    /** Number of name-path nodes, including the root (0). */
    int nodeCount() {
        return tree.nodeCount();
    }

    /** The NEW profile, whose tree the flame graphs draw. */
    Profile newProfile() {
        return tree.newProfile();
    }

    /** What the interactive page needs to draw this diff over NEW's tree ({@link DiffColours#flame}). */
    FlameDiff flame() {
        return DiffColours.flame(tree);
    }

    /** Per node of NEW's tree, its change in NEW's units ({@link DiffColours#newNodeDelta}). */
    double[] newNodeDelta(Profile next) {
        return DiffColours.newNodeDelta(tree, next);
    }
}
