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
 * the total); labels are cut to fit. Frames narrower than half a pixel are left out.
 */
final class SvgWriter implements ProfileWriter {
    static final int WIDTH = 1200;
    static final int FRAME_HEIGHT = 16;
    private static final int PAD = 10;
    private static final int HEADER = 56;
    private static final double MIN_WIDTH = 0.5;
    private static final double FONT_SIZE = 12;

    @Override
    public void write(Profile profile, OutputStream out, WriteOptions options) throws IOException {
        EventType event = options.eventOf(profile);
        FlameView view = FlameView.of(profile, event, options.instance());
        String unit = Events.unit(event);
        long total = view.total(StackTree.ROOT);
        double chartWidth = WIDTH - 2 * PAD;
        double scale = total > 0 ? chartWidth / total : 0;

        // Lay out the drawn frames depth first (iteratively: stacks can be very deep).
        int n = profile.tree.size();
        double[] x = new double[n]; // left edge in pixels from the chart's left
        int[] drawn = new int[256];
        int drawnCount = 0;
        int maxDepth = 0;
        int[] stack = new int[64];
        int sp = 0;
        if (total > 0) {
            stack[sp++] = StackTree.ROOT;
        }
        while (sp > 0) {
            int node = stack[--sp];
            if (drawnCount == drawn.length) {
                drawn = Arrays.copyOf(drawn, drawnCount * 2);
            }
            drawn[drawnCount++] = node;
            maxDepth = Math.max(maxDepth, profile.tree.depth(node));
            double cx = x[node];
            int count = view.childCount(node);
            int first = sp;
            for (int i = 0; i < count; i++) {
                int c = view.child(node, i);
                double w = view.total(c) * scale;
                if (w >= MIN_WIDTH) {
                    if (sp == stack.length) {
                        stack = Arrays.copyOf(stack, sp * 2);
                    }
                    x[c] = cx;
                    stack[sp++] = c;
                }
                cx += w;
            }
            reverse(stack, first, sp);
        }

        int height = HEADER + (maxDepth + 1) * FRAME_HEIGHT + PAD + 18;
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        w.write("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
        w.write("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + WIDTH + "\" height=\"" + height
                + "\" viewBox=\"0 0 " + WIDTH + " " + height + "\" font-family=\"Verdana, DejaVu Sans, Arial, sans-serif\" font-size=\"" + (int) FONT_SIZE + "\">\n");
        String title = options.title() == null || options.title().isEmpty() ? "cprof" : options.title();
        w.write("<title>" + xml(title) + "</title>\n");
        w.write("<rect x=\"0\" y=\"0\" width=\"" + WIDTH + "\" height=\"" + height + "\" fill=\"#ffffff\"/>\n");
        w.write("<text x=\"" + (WIDTH / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\">" + xml(title) + "</text>\n");
        String scope = options.instance() < 0
                ? "all instances (" + profile.instances().size() + ")"
                : profile.instances().size() > options.instance()
                        ? Profile.instanceLabel(profile.instances().get(options.instance()))
                        : "instance " + options.instance();
        w.write("<text x=\"" + (WIDTH / 2) + "\" y=\"40\" text-anchor=\"middle\" fill=\"#555\">"
                + xml(Events.name(event) + " \u00b7 " + scope + " \u00b7 total " + group(total) + " " + unit) + "</text>\n");
        if (total == 0) {
            w.write("<text x=\"" + (WIDTH / 2) + "\" y=\"" + (HEADER + 20) + "\" text-anchor=\"middle\" fill=\"#888\">No samples</text>\n");
        }
        StringBuilder sb = new StringBuilder(512);
        for (int i = 0; i < drawnCount; i++) {
            int node = drawn[i];
            int depth = profile.tree.depth(node);
            double rx = PAD + x[node];
            double rw = view.total(node) * scale;
            double ry = HEADER + (maxDepth - depth) * FRAME_HEIGHT;
            String name;
            String color;
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
                color = FlamePalette.color(profile.frames.kind(frame), name);
            }
            sb.setLength(0);
            sb.append("<g><title>").append(xml(name)).append('\n')
                    .append(group(view.total(node))).append(' ').append(unit)
                    .append(", ").append(percent(view.total(node), total)).append(" of total");
            if (view.self(node) != 0) {
                sb.append("; self ").append(group(view.self(node))).append(", ").append(percent(view.self(node), total));
            }
            sb.append("</title><rect x=\"").append(num(rx)).append("\" y=\"").append(num(ry))
                    .append("\" width=\"").append(num(rw)).append("\" height=\"").append(FRAME_HEIGHT - 1)
                    .append("\" fill=\"").append(color).append("\" rx=\"2\" ry=\"2\"/>");
            String label = fit(name, rw - 6);
            if (!label.isEmpty()) {
                sb.append("<text x=\"").append(num(rx + 3)).append("\" y=\"").append(num(ry + FRAME_HEIGHT - 4.5)).append("\">")
                        .append(xml(label)).append("</text>");
            }
            sb.append("</g>\n");
            w.append(sb);
        }
        w.write("</svg>\n");
        w.flush();
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

    private static String num(double v) {
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
