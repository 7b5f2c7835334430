package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * A static flame graph in SVG: one event ({@link WriteOptions#eventOf}), all instances or one
 * ({@link WriteOptions#instance}), root at the bottom, children in name order. Every frame is a
 * rect with a {@code <title>} tooltip (first line the frame's name, then value and share of
 * the total, then the frame's type) and coloured by its type ({@link FlamePalette}); labels are
 * cut to fit. Frames narrower than half a pixel are left out.
 */
final class SvgWriter implements ProfileWriter {
    static final int WIDTH = 1200;
    static final int FRAME_HEIGHT = 16;
    static final int PAD = 10;
    /** The chart's width in pixels: the whole profile (or NEW's, in a diff) spans it. */
    static final double CHART_WIDTH = WIDTH - 2 * PAD;
    /** Frames narrower than this many pixels are not drawn. */
    static final double MIN_WIDTH = 0.5;
    private static final int HEADER = 56;
    private static final double FONT_SIZE = 12;

    @Override
    public void write(Profile profile, OutputStream out, WriteOptions options) throws IOException {
        EventType event = options.eventOf(profile);
        FlameView view = FlameView.of(profile, event, options.instance());
        String unit = Events.unit(event);
        long total = view.total(StackTree.ROOT);
        Layout layout = Layout.of(view, profile.tree.size(), total);

        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        String title = options.title() == null || options.title().isEmpty() ? "cprof" : options.title();
        open(w, HEADER, layout.maxDepth, title, true);
        String scope = options.instance() < 0
                ? "all instances (" + profile.instances().size() + ")"
                : profile.instances().size() > options.instance()
                        ? Profile.instanceLabel(profile.instances().get(options.instance()))
                        : "instance " + options.instance();
        subtitle(w, 40, Events.name(event) + " \u00b7 " + scope + " \u00b7 total " + group(total) + " " + unit);
        if (total == 0) {
            empty(w, HEADER, "No samples");
        }
        StringBuilder sb = new StringBuilder(512);
        for (int i = 0; i < layout.count; i++) {
            int node = layout.drawn[i];
            String name;
            String color;
            String type = "";
            if (node == StackTree.ROOT) {
                name = "all";
                color = "rgb(190,190,190)";
            } else {
                int frame = profile.tree.frame(node);
                name = profile.frameName(frame);
                int line = profile.frames.line(frame);
                if (line > 0) {
                    name = name + ":" + line;
                }
                color = FlamePalette.color(profile.frames.kind(frame), profile.frames.type(frame), name);
                type = "\ntype: " + FlamePalette.typeText(profile.frames.kind(frame), profile.frames.type(frame));
            }
            String tooltip = name + '\n' + group(view.total(node)) + ' ' + unit + ", " + percent(view.total(node), total) + " of total"
                    + (view.self(node) != 0 ? "; self " + group(view.self(node)) + ", " + percent(view.self(node), total) : "") + type;
            layout.frame(sb, node, HEADER, name, tooltip, color);
            w.append(sb);
        }
        w.write("</svg>\n");
        w.flush();
    }

    /** A tree to lay out: children in drawing order (left to right), and each node's total. */
    interface Tree {
        int childCount(int node);

        int child(int node, int i);

        long total(int node);
    }

    /**
     * Where the frames of a flame graph go: the frames at least {@link #MIN_WIDTH} wide, in
     * preorder (node 0, the root, first), with their left edges in pixels from the chart's left,
     * their depths, and the pixels per unit of the root's total.
     */
    static final class Layout {
        final int[] drawn;
        final int count;
        final double[] x;
        final int[] depth;
        final int maxDepth;
        final double scale;
        private final Tree tree;

        private Layout(Tree tree, int[] drawn, int count, double[] x, int[] depth, int maxDepth, double scale) {
            this.tree = tree;
            this.drawn = drawn;
            this.count = count;
            this.x = x;
            this.depth = depth;
            this.maxDepth = maxDepth;
            this.scale = scale;
        }

        /** Lays out a tree of {@code size} nodes whose root (0) has {@code total}; nothing when it is 0. */
        static Layout of(Tree tree, int size, long total) {
            double scale = total > 0 ? CHART_WIDTH / total : 0;
            double[] x = new double[size];
            int[] depth = new int[size];
            int[] drawn = new int[256];
            int count = 0;
            int maxDepth = 0;
            int[] stack = new int[64];
            int sp = 0;
            if (total > 0) {
                stack[sp++] = 0;
            }
            // Depth first, iteratively: stacks can be very deep.
            while (sp > 0) {
                int node = stack[--sp];
                if (count == drawn.length) {
                    drawn = Arrays.copyOf(drawn, count * 2);
                }
                drawn[count++] = node;
                maxDepth = Math.max(maxDepth, depth[node]);
                double cx = x[node];
                int children = tree.childCount(node);
                int first = sp;
                for (int i = 0; i < children; i++) {
                    int c = tree.child(node, i);
                    double cw = tree.total(c) * scale;
                    if (cw >= MIN_WIDTH) {
                        if (sp == stack.length) {
                            stack = Arrays.copyOf(stack, sp * 2);
                        }
                        x[c] = cx;
                        depth[c] = depth[node] + 1;
                        stack[sp++] = c;
                    }
                    cx += cw;
                }
                reverse(stack, first, sp);
            }
            return new Layout(tree, drawn, count, x, depth, maxDepth, scale);
        }

        /**
         * Sets sb to one frame: a group with the tooltip (plain text, escaped here), the rect
         * and the label cut to fit; {@code header} is the height above the chart.
         */
        void frame(StringBuilder sb, int node, int header, String name, String tooltip, String color) {
            double rx = PAD + x[node];
            double rw = tree.total(node) * scale;
            double ry = header + (maxDepth - depth[node]) * FRAME_HEIGHT;
            sb.setLength(0);
            sb.append("<g><title>").append(xml(tooltip)).append("</title><rect x=\"").append(num(rx)).append("\" y=\"").append(num(ry))
                    .append("\" width=\"").append(num(rw)).append("\" height=\"").append(FRAME_HEIGHT - 1)
                    .append("\" fill=\"").append(color).append("\" rx=\"2\" ry=\"2\"/>");
            String label = fit(name, rw - 6);
            if (!label.isEmpty()) {
                sb.append("<text x=\"").append(num(rx + 3)).append("\" y=\"").append(num(ry + FRAME_HEIGHT - 4.5)).append("\">")
                        .append(xml(label)).append("</text>");
            }
            sb.append("</g>\n");
        }
    }

    /**
     * Writes the start of the document (XML declaration when {@code standalone}), the
     * background and the title line, for a chart {@code maxDepth} deep below a header
     * {@code header} pixels high.
     */
    static void open(Writer w, int header, int maxDepth, String title, boolean standalone) throws IOException {
        int height = header + (maxDepth + 1) * FRAME_HEIGHT + PAD + 18;
        if (standalone) {
            w.write("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
        }
        w.write("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + WIDTH + "\" height=\"" + height
                + "\" viewBox=\"0 0 " + WIDTH + " " + height + "\" font-family=\"Verdana, DejaVu Sans, Arial, sans-serif\" font-size=\"" + (int) FONT_SIZE + "\">\n");
        w.write("<title>" + xml(title) + "</title>\n");
        w.write("<rect x=\"0\" y=\"0\" width=\"" + WIDTH + "\" height=\"" + height + "\" fill=\"#ffffff\"/>\n");
        w.write("<text x=\"" + (WIDTH / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\">" + xml(title) + "</text>\n");
    }

    /** A grey line of centred text at height y. */
    static void subtitle(Writer w, int y, String text) throws IOException {
        w.write("<text x=\"" + (WIDTH / 2) + "\" y=\"" + y + "\" text-anchor=\"middle\" fill=\"#555\">" + xml(text) + "</text>\n");
    }

    /** The note that stands in for an empty chart. */
    static void empty(Writer w, int header, String text) throws IOException {
        w.write("<text x=\"" + (WIDTH / 2) + "\" y=\"" + (header + 20) + "\" text-anchor=\"middle\" fill=\"#888\">" + xml(text) + "</text>\n");
    }

    private static void reverse(int[] a, int from, int to) {
        for (int i = from, j = to - 1; i < j; i++, j--) {
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** The longest prefix of name (with ".." when cut) whose estimated width fits in room pixels. */
    static String fit(String name, double room) {
        if (room < 3 * FONT_SIZE * 0.6) {
            return "";
        }
        double width = 0;
        double dots = 2 * FONT_SIZE * 0.6;
        int cut = -1;
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            width += charWidth(cp);
            if (cut < 0 && width + dots > room) {
                cut = i;
            }
            if (width > room) {
                return cut <= 0 ? "" : name.substring(0, cut) + "..";
            }
            i += Character.charCount(cp);
        }
        return name;
    }

    private static double charWidth(int cp) {
        if (cp >= 0x1100 && (cp <= 0x115f || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3)
                || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60)
                || (cp >= 0xffe0 && cp <= 0xffe6) || cp >= 0x1f300)) {
            return FONT_SIZE; // wide (CJK, emoji)
        }
        return FONT_SIZE * 0.62;
    }

    /** XML text/attribute escaping; characters XML cannot hold become U+FFFD. */
    static String xml(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String rep = switch (c) {
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '&' -> "&amp;";
                case '"' -> "&quot;";
                case '\'' -> "&apos;";
                default -> invalidXml(s, i) ? "\ufffd" : null;
            };
            if (rep != null && sb == null) {
                sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (sb != null) {
                if (rep != null) {
                    sb.append(rep);
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? s : sb.toString();
    }

    private static boolean invalidXml(String s, int i) {
        char c = s.charAt(i);
        if (c < 0x20) {
            return c != '\t' && c != '\n' && c != '\r';
        }
        if (c == 0xfffe || c == 0xffff) {
            return true;
        }
        if (Character.isHighSurrogate(c)) {
            return !(i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)));
        }
        if (Character.isLowSurrogate(c)) {
            return !(i > 0 && Character.isHighSurrogate(s.charAt(i - 1)));
        }
        return false;
    }

    static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static String percent(long v, long total) {
        return total > 0 ? String.format(Locale.ROOT, "%.2f%%", 100.0 * v / total) : "0%";
    }

    static String group(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }
}
