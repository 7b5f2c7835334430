package dev.cprof.profile;

/**
 * How the differential flame graphs ({@link DiffSvgWriter}, and {@link HtmlWriter#writeDiff}
 * for the interactive page) colour a diff: every frame by one rule, the change of the frame's
 * <em>total</em> (inclusive) share, {@link DiffTree#deltaTotalPp}, each profile normalised by its
 * own total, as in Brendan Gregg's differential flame graphs. Red grew, blue shrank, in
 * proportion to |change| / {@link #scalePp} ({@link FlamePalette#diffColor}); a frame BASE never
 * had is full red.
 */
final class DiffColours {
    /** The smallest share of NEW's total that is drawn: half a pixel of the SVG's chart. */
    static final double VISIBLE_SHARE = SvgWriter.MIN_WIDTH / SvgWriter.CHART_WIDTH;

    private DiffColours() {}

    /**
     * The change (in pp) at which the differential flame graphs reach full colour: the largest
     * |{@link DiffTree#deltaTotalPp}| of a frame that is drawn (at least {@link #VISIBLE_SHARE}
     * of NEW) and was in BASE, but no less than {@link FlamePalette#DIFF_MIN_FULL_PP}, so noise
     * stays pale. Rounded like the colours ({@link FlamePalette#diffRound}).
     */
    static double scalePp(DiffTree tree) {
        double max = 0;
        long newTotal = tree.newTotal();
        for (int node = 1; node < tree.nodeCount(); node++) {
            if (!tree.isNewPath(node) && newTotal > 0 && (double) tree.newSum(node) / newTotal >= VISIBLE_SHARE) {
                max = Math.max(max, Math.abs(tree.deltaTotalPp(node)));
            }
        }
        return FlamePalette.diffRound(Math.max(FlamePalette.DIFF_MIN_FULL_PP, max));
    }

    /** What the interactive page needs to draw this diff over NEW's tree. */
    static FlameDiff flame(DiffTree tree) {
        Profile next = tree.newProfile();
        int n = next.tree.size();
        boolean[] fresh = new boolean[n];
        for (int node = 1; node < n; node++) {
            int p = tree.pathOfNewNode(node);
            fresh[node] = p > 0 && tree.isNewPath(p);
        }
        return new FlameDiff(tree.event, newNodeDelta(tree, next), fresh, tree.newTotal(), scalePp(tree));
    }

    /**
     * Per node of NEW's {@link StackTree}: the change of its name path's self share, in NEW's
     * units (pp × NEW total / 100), signed; what the HTML flame graph's delta hook takes (the
     * page sums it over subtrees, which gives each frame its {@link DiffTree#deltaTotalPp}). A
     * name path that several NEW nodes share (same names, other lines or kinds) gives its
     * change to them in proportion to their self values; a path that only BASE has gives its
     * (negative) change to its nearest ancestor present in NEW, so subtree sums stay right.
     */
    static double[] newNodeDelta(DiffTree tree, Profile next) {
        int n = next.tree.size();
        int size = tree.nodeCount();
        double[] out = new double[n];
        double[] pathDelta = new double[size];
        for (int node = 1; node < size; node++) {
            pathDelta[node] = tree.deltaSelfPp(node) * tree.newTotal() / 100.0;
        }
        // Hand a path with no NEW value up to its nearest ancestor that NEW has (children last to first).
        for (int node = size - 1; node > 0; node--) {
            if (tree.newSum(node) == 0 && pathDelta[node] != 0) {
                pathDelta[tree.parentOf(node)] += pathDelta[node];
                pathDelta[node] = 0;
            }
        }
        // Split each path's change over the NEW nodes on it.
        FlameView view = FlameView.of(next, tree.event, -1);
        long[] nodeSelf = new long[n];
        for (int node = 1; node < n; node++) {
            nodeSelf[node] = view.self(node);
        }
        long[] selfOnPath = new long[size];
        for (int node = 1; node < n; node++) {
            int p = tree.pathOfNewNode(node);
            if (p > 0) {
                selfOnPath[p] += nodeSelf[node];
            }
        }
        boolean[] given = new boolean[size];
        for (int node = 1; node < n; node++) {
            int p = tree.pathOfNewNode(node);
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
