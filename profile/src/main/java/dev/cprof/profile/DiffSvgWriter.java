package dev.cprof.profile;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A differential flame graph in SVG, laid out like {@link SvgWriter}'s: widths are NEW's and
 * frames are name paths ({@link DiffTree}). The colour is {@link DiffColours}' rule, the one the
 * interactive page ({@link HtmlWriter#writeDiff}) follows too: the change of each frame's
 * total (inclusive) share from BASE to NEW, each profile normalised by its own total. Red grew,
 * blue shrank, the stronger the larger the change (full strength at the largest change of a
 * drawn frame, or at 1 percentage point when all changes are smaller); light grey unchanged;
 * a stack BASE never had is full red ({@link FlamePalette#diffColor}). Every frame's tooltip
 * gives its shares in BASE and NEW and the changes in percentage points.
 */
public final class DiffSvgWriter {
    private static final int HEADER = 66;
    static final String UNCHANGED = FlamePalette.DIFF_UNCHANGED;
    static final String NEW_FRAME = FlamePalette.DIFF_NEW;

    private DiffSvgWriter() {}

    /** Writes the diff as an SVG document with the given title. */
    public static void write(Diff diff, OutputStream out, String title) throws IOException {
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        DiffTree tree = diff.tree();
        long total = diff.newTotal();
        String unit = Events.unit(diff.event);
        SvgWriter.Layout layout = SvgWriter.Layout.of(new SvgWriter.Tree() {
            @Override
            public int childCount(int node) {
                return tree.childCount(node);
            }

            @Override
            public int child(int node, int i) {
                return tree.child(node, i);
            }

            @Override
            public long total(int node) {
                return tree.newSum(node);
            }
        }, tree.nodeCount(), total);
        double colourScale = DiffColours.scalePp(tree);

        String t = title == null || title.isEmpty() ? "cprof diff" : title;
        SvgWriter.open(w, HEADER, layout.maxDepth, t, true);
        String change = Double.isInfinite(diff.totalChangePercent()) ? "" : ", " + signed(diff.totalChangePercent()) + "%";
        SvgWriter.subtitle(w, 40, Events.name(diff.event) + " \u00b7 width: NEW, " + SvgWriter.group(total) + " " + unit
                + " \u00b7 BASE " + SvgWriter.group(diff.baseTotal()) + " " + unit + change);
        SvgWriter.subtitle(w, 58, "colour: change of total share, red grew, blue shrank (full at "
                + DiffRule.number(colourScale) + "pp), grey unchanged, full red not in BASE");
        if (total == 0) {
            SvgWriter.empty(w, HEADER, "No samples in NEW");
        }
        StringBuilder sb = new StringBuilder(512);
        for (int i = 0; i < layout.count; i++) {
            int node = layout.drawn[i];
            String name = tree.nameOf(node);
            String tooltip = name + '\n'
                    + "new: total " + pct(tree.newSum(node), total) + ", self " + pct(tree.newSelf(node), total)
                    + " (" + SvgWriter.group(tree.newSum(node)) + ' ' + unit + ")\n"
                    + "base: total " + pct(tree.baseSum(node), diff.baseTotal()) + ", self " + pct(tree.baseSelf(node), diff.baseTotal())
                    + (tree.isNewPath(node) ? " (not in BASE)" : "") + '\n'
                    + "\u0394 self " + signed(tree.deltaSelfPp(node)) + "pp, \u0394 total " + signed(tree.deltaTotalPp(node)) + "pp";
            layout.frame(sb, node, HEADER, name, tooltip, color(tree, node, colourScale));
            w.append(sb);
        }
        w.write("</svg>\n");
        w.flush();
    }

    /** The fill of a node by {@link DiffColours}' rule. */
    static String color(DiffTree tree, int node, double scalePp) {
        return FlamePalette.diffColor(node == 0 ? 0 : tree.deltaTotalPp(node), scalePp, tree.isNewPath(node));
    }

    private static String pct(long v, long total) {
        return String.format(Locale.ROOT, "%.2f%%", Diff.pct(v, total));
    }

    static String signed(double v) {
        String s = String.format(Locale.ROOT, "%+.2f", v);
        return s.equals("-0.00") ? "+0.00" : s;
    }
}
