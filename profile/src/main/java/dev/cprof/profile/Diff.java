package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The comparison of two profiles of one event, both normalised by their total (samples for
 * cpu and wall, weight for alloc and lock: {@link Events#measure}), as {@code cprof diff}
 * shows it.
 *
 * <p>Both profiles are projected onto one tree of <em>name paths</em>: a node is a root-first
 * sequence of frame names, so frames that differ only in line or kind, and profiles read from
 * different formats, line up. Every name-path node has a self and a total value in BASE and in
 * NEW; the differential flame graph draws that tree with NEW's widths.
 *
 * <p>Per method (frame name, all nodes with that name aggregated): self share = the method's
 * self value over the profile's total; total share = the value of every stack that contains
 * the method, counted once even when the method recurses. Shares are in percent (0..100), and
 * changes are in percentage points (NEW share minus BASE share).
 *
 * <p>The differential flame graphs ({@link DiffSvgWriter}, and {@link HtmlWriter#writeDiff} for
 * the interactive page) colour every frame by one rule: the change of the frame's <em>total</em>
 * (inclusive) share, {@link #deltaTotalPp}, each profile normalised by its own total, as in
 * Brendan Gregg's differential flame graphs. Red grew, blue shrank, in proportion to
 * |change| / {@link #colourScalePp()} ({@link FlamePalette#diffColor}); a frame BASE never had
 * is full red.
 */
public final class Diff {
    /** Changes smaller than this many percentage points count as none (floating-point noise). */
    static final double EPSILON_PP = 1e-9;

    public final EventType event;
    private final Profile newProfile;
    private final long baseTotal;
    private final long newTotal;

    // The name-path tree; node 0 is the root, parents are created before their children.
    private final List<String> names = new ArrayList<>();
    private final Map<String, Integer> nameIds = new HashMap<>();
    private final LongIntMap children = new LongIntMap(4096);
    private int size = 1;
    private int[] parent = new int[4096];
    private int[] name = new int[4096];
    private long[] baseSelf = new long[4096];
    private long[] newSelf = new long[4096];
    private long[] baseSum;
    private long[] newSum;
    private int[] childStart;
    private int[] childList;
    /** NEW profile node → name-path node. */
    private final int[] newNodePath;

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
        this.newProfile = next;
        parent[0] = -1;
        name[0] = -1;
        project(base, event, true);
        newNodePath = project(next, event, false);
        baseSum = Arrays.copyOf(baseSelf, size);
        newSum = Arrays.copyOf(newSelf, size);
        for (int node = size - 1; node > 0; node--) {
            baseSum[parent[node]] += baseSum[node];
            newSum[parent[node]] += newSum[node];
        }
        baseTotal = baseSum[0];
        newTotal = newSum[0];
        buildChildren();
        rows = buildRows();
    }

    /** Compares {@code event} in BASE and NEW, over all instances of each. */
    public static Diff of(Profile base, Profile next, EventType event) {
        return new Diff(base, next, event);
    }

    /** Total of the event in BASE (samples or weight). */
    public long baseTotal() {
        return baseTotal;
    }

    /** Total of the event in NEW (samples or weight). */
    public long newTotal() {
        return newTotal;
    }

    /** Relative change of the total in percent: +7.3 means NEW has 7.3 % more; infinite when BASE is empty. */
    public double totalChangePercent() {
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

    // ---- projection ----

    private int nameId(String s) {
        Integer id = nameIds.get(s);
        if (id == null) {
            id = names.size();
            names.add(s);
            nameIds.put(s, id);
        }
        return id;
    }

    private int childOrNew(int p, int nameId) {
        long key = ((long) p << 32) | (nameId & 0xffffffffL);
        int node = children.get(key);
        if (node < 0) {
            node = size++;
            if (node == parent.length) {
                int cap = node * 2;
                parent = Arrays.copyOf(parent, cap);
                name = Arrays.copyOf(name, cap);
                baseSelf = Arrays.copyOf(baseSelf, cap);
                newSelf = Arrays.copyOf(newSelf, cap);
            }
            parent[node] = p;
            name[node] = nameId;
            children.putNew(key, node);
        }
        return node;
    }

    /** Adds the profile's stacks with a value of the event; returns profile node → path node (-1 for none). */
    private int[] project(Profile p, EventType event, boolean isBase) {
        StackTree tree = p.tree;
        int n = tree.size();
        // Only nodes on a path to a value of this event: other events' stacks stay out of the tree.
        boolean[] keep = new boolean[n];
        ValueTable v = p.values;
        for (int s = 0; s < v.size(); s++) {
            if (v.eventNumber(s) == event.getNumber() && Events.measure(event, v.count(s), v.weight(s)) != 0) {
                keep[v.node(s)] = true;
            }
        }
        for (int node = n - 1; node > 0; node--) {
            if (keep[node]) {
                keep[tree.parent(node)] = true;
            }
        }
        int[] frameName = new int[p.frames.size()];
        Arrays.fill(frameName, -1);
        int[] path = new int[n];
        Arrays.fill(path, -1);
        path[StackTree.ROOT] = 0;
        for (int node = 1; node < n; node++) {
            if (!keep[node]) {
                continue;
            }
            int f = tree.frame(node);
            if (frameName[f] < 0) {
                frameName[f] = nameId(p.frameName(f));
            }
            path[node] = childOrNew(path[tree.parent(node)], frameName[f]);
        }
        for (int s = 0; s < v.size(); s++) {
            if (v.eventNumber(s) == event.getNumber()) {
                long m = Events.measure(event, v.count(s), v.weight(s));
                if (m != 0) {
                    int pn = path[v.node(s)];
                    (isBase ? baseSelf : newSelf)[pn] += m;
                }
            }
        }
        return path;
    }

    private void buildChildren() {
        int[] count = new int[size + 1];
        for (int node = 1; node < size; node++) {
            count[parent[node] + 1]++;
        }
        childStart = new int[size + 1];
        for (int i = 0; i < size; i++) {
            childStart[i + 1] = childStart[i] + count[i + 1];
        }
        int[] fill = Arrays.copyOf(childStart, size);
        childList = new int[size - 1];
        for (int node = 1; node < size; node++) {
            childList[fill[parent[node]]++] = node;
        }
        Comparator<Integer> byName = Comparator.comparing(c -> names.get(name[c]));
        FlameView.sortGroups(childList, childStart, size, byName);
    }

    private List<Row> buildRows() {
        int m = names.size();
        long[] bSelf = new long[m];
        long[] nSelf = new long[m];
        long[] bTotal = new long[m];
        long[] nTotal = new long[m];
        int[] onPath = new int[m];
        // Depth first with enter and exit events (~node = exit): a name's total counts the
        // outermost node of each path only, so recursion is not counted twice.
        int[] stack = new int[64];
        int sp = 0;
        stack[sp++] = 0;
        while (sp > 0) {
            int item = stack[--sp];
            if (item < 0) {
                onPath[name[~item]]--;
                continue;
            }
            int node = item;
            if (node != 0) {
                int id = name[node];
                bSelf[id] += baseSelf[node];
                nSelf[id] += newSelf[node];
                if (onPath[id] == 0) {
                    bTotal[id] += baseSum[node];
                    nTotal[id] += newSum[node];
                }
                onPath[id]++;
            }
            int from = childStart[node];
            int to = childStart[node + 1];
            if (sp + (to - from) + 1 > stack.length) {
                stack = Arrays.copyOf(stack, Math.max(stack.length * 2, sp + (to - from) + 1));
            }
            if (node != 0) {
                stack[sp++] = ~node;
            }
            for (int i = to - 1; i >= from; i--) {
                stack[sp++] = childList[i];
            }
        }
        List<Row> out = new ArrayList<>(m);
        for (int id = 0; id < m; id++) {
            if (bTotal[id] == 0 && nTotal[id] == 0) {
                continue;
            }
            out.add(new Row(names.get(id), pct(bSelf[id], baseTotal), pct(nSelf[id], newTotal),
                    pct(bTotal[id], baseTotal), pct(nTotal[id], newTotal)));
        }
        out.sort(Comparator.comparingDouble(Row::magnitude).reversed().thenComparing(Row::method));
        return Collections.unmodifiableList(out);
    }

    static double pct(long v, long total) {
        return total > 0 ? 100.0 * v / total : 0;
    }

    // ---- the name-path tree, for the differential flame graph ----

    /** Number of name-path nodes, including the root (0). */
    int nodeCount() {
        return size;
    }

    int childCount(int node) {
        return childStart[node + 1] - childStart[node];
    }

    /** Children in name order. */
    int child(int node, int i) {
        return childList[childStart[node] + i];
    }

    int parentOf(int node) {
        return parent[node];
    }

    String nameOf(int node) {
        return node == 0 ? "all" : names.get(name[node]);
    }

    long baseSelf(int node) {
        return baseSelf[node];
    }

    long newSelf(int node) {
        return newSelf[node];
    }

    long baseSum(int node) {
        return baseSum[node];
    }

    long newSum(int node) {
        return newSum[node];
    }

    /** Change of the node's self share, in percentage points. */
    double deltaSelfPp(int node) {
        return pct(newSelf[node], newTotal) - pct(baseSelf[node], baseTotal);
    }

    /** Change of the node's total share, in percentage points. */
    double deltaTotalPp(int node) {
        return pct(newSum[node], newTotal) - pct(baseSum[node], baseTotal);
    }

    /**
     * The change (in pp) at which the differential flame graphs reach full colour: the largest
     * |{@link #deltaTotalPp}| of a frame that is drawn (at least {@link #VISIBLE_SHARE} of NEW)
     * and was in BASE, but no less than {@link FlamePalette#DIFF_MIN_FULL_PP}, so noise stays
     * pale. Rounded like the colours ({@link FlamePalette#diffRound}).
     */
    double colourScalePp() {
        double max = 0;
        for (int node = 1; node < size; node++) {
            if (!isNewPath(node) && newTotal > 0 && (double) newSum[node] / newTotal >= VISIBLE_SHARE) {
                max = Math.max(max, Math.abs(deltaTotalPp(node)));
            }
        }
        return FlamePalette.diffRound(Math.max(FlamePalette.DIFF_MIN_FULL_PP, max));
    }

    /** The smallest share of NEW's total that is drawn: half a pixel of the SVG's chart. */
    static final double VISIBLE_SHARE = SvgWriter.MIN_WIDTH / SvgWriter.CHART_WIDTH;

    /** What the interactive page needs to draw this diff over NEW's tree. */
    FlameDiff flame() {
        int n = newProfile.tree.size();
        boolean[] fresh = new boolean[n];
        for (int node = 1; node < n && node < newNodePath.length; node++) {
            fresh[node] = newNodePath[node] > 0 && isNewPath(newNodePath[node]);
        }
        return new FlameDiff(event, newNodeDelta(newProfile), fresh, newTotal, colourScalePp());
    }

    /** The NEW profile, whose tree the flame graphs draw. */
    Profile newProfile() {
        return newProfile;
    }

    /** A stack that BASE never had: no BASE value at or below this name path. */
    boolean isNewPath(int node) {
        return node != 0 && baseSum[node] == 0 && newSum[node] > 0;
    }

    /**
     * Per node of NEW's {@link StackTree}: the change of its name path's self share, in NEW's
     * units (pp × NEW total / 100), signed; what the HTML flame graph's delta hook takes (the
     * page sums it over subtrees, which gives each frame its {@link #deltaTotalPp}). A
     * name path that several NEW nodes share (same names, other lines or kinds) gives its
     * change to them in proportion to their self values; a path that only BASE has gives its
     * (negative) change to its nearest ancestor present in NEW, so subtree sums stay right.
     */
    double[] newNodeDelta(Profile next) {
        int n = next.tree.size();
        double[] out = new double[n];
        double[] pathDelta = new double[size];
        for (int node = 1; node < size; node++) {
            pathDelta[node] = deltaSelfPp(node) * newTotal / 100.0;
        }
        // Hand a path with no NEW value up to its nearest ancestor that NEW has (children last to first).
        for (int node = size - 1; node > 0; node--) {
            if (newSum[node] == 0 && pathDelta[node] != 0) {
                pathDelta[parent[node]] += pathDelta[node];
                pathDelta[node] = 0;
            }
        }
        // Split each path's change over the NEW nodes on it.
        FlameView view = FlameView.of(next, event, -1);
        long[] nodeSelf = new long[n];
        for (int node = 1; node < n; node++) {
            nodeSelf[node] = view.self(node);
        }
        long[] selfOnPath = new long[size];
        int[] nodesOnPath = new int[size];
        for (int node = 1; node < n && node < newNodePath.length; node++) {
            int p = newNodePath[node];
            if (p > 0) {
                selfOnPath[p] += nodeSelf[node];
                nodesOnPath[p]++;
            }
        }
        boolean[] given = new boolean[size];
        for (int node = 1; node < n && node < newNodePath.length; node++) {
            int p = newNodePath[node];
            if (p <= 0 || pathDelta[p] == 0) {
                continue;
            }
            if (selfOnPath[p] > 0) {
                out[node] = pathDelta[p] * nodeSelf[node] / selfOnPath[p];
            } else if (!given[p]) {
                out[node] = pathDelta[p];
                given[p] = true;
            }
        }
        return out;
    }
}
