package dev.cprof.profile;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * A self-contained interactive flame graph: one HTML file with inline CSS and JavaScript and
 * no network fetches (its Content-Security-Policy forbids them). The data of every event and
 * instance is embedded once, as {@link FlameJson} describes; the page (flame.js) renders the
 * selected event and instance on a canvas, with zoom, search, tooltips and selectors.
 *
 * <p>A profile with time buckets also embeds each instance's values per bucket (the page's heat
 * map and range selection); the page stays under {@link WriteOptions#htmlMaxBytes} by merging
 * buckets in pairs as {@link FlameJson} describes.
 *
 * <p>{@link #writeDiff} writes the same page as a differential flame graph: NEW's profile, the
 * compared event only, coloured by {@link DiffColours}' rule (the change of each frame's total share,
 * the same colours as {@link DiffSvgWriter}'s), with the changes in the tooltips.
 */
public final class HtmlWriter implements ProfileWriter {
    private static volatile String[] resources;

    HtmlWriter() {}

    @Override
    public void write(Profile profile, OutputStream out, WriteOptions options) throws IOException {
        String title = options.title() == null || options.title().isEmpty() ? "cprof" : options.title();
        write(new FlameJson(profile, title, options), title, out, options.htmlMaxBytes());
    }

    /** The differential flame graph of {@code diff} as an interactive page with the given title. */
    public static void writeDiff(Diff diff, OutputStream out, String title) throws IOException {
        String t = title == null || title.isEmpty() ? "cprof diff" : title;
        write(new FlameJson(diff.newProfile(), t, WriteOptions.defaults(), diff.flame()), t, out, WriteOptions.DEFAULT_HTML_MAX_BYTES);
    }

    private static void write(FlameJson data, String title, OutputStream out, long capBytes) throws IOException {
        String[] r = resources();
        if (data.hasTimeline()) {
            FlameJson.Utf8Count fixed = new FlameJson.Utf8Count();
            fixed.write(r[0]);
            fixed.write(r[1]);
            fixed.write(r[2]);
            fixed.write(escapeHtml(title));
            data.fitTimeline(fixed.bytes, capBytes);
        }
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        String template = r[0];
        int pos = 0;
        while (true) {
            int open = template.indexOf("{{", pos);
            if (open < 0) {
                break;
            }
            int close = template.indexOf("}}", open);
            w.write(template, pos, open - pos);
            switch (template.substring(open + 2, close)) {
                case "TITLE" -> w.write(escapeHtml(title));
                case "CSS" -> w.write(r[1]);
                case "JS" -> w.write(r[2]);
                case "DATA" -> data.write(w);
                default -> throw new IllegalStateException("flame.html: unknown placeholder " + template.substring(open, close + 2));
            }
            pos = close + 2;
        }
        w.write(template, pos, template.length() - pos);
        w.flush();
    }

    static String escapeHtml(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(Character.isSurrogate(c) && !validSurrogate(s, i) ? '\ufffd' : c);
            }
        }
        return sb.toString();
    }

    private static boolean validSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    private static String[] resources() {
        String[] r = resources;
        if (r == null) {
            r = new String[] {load("flame.html"), load("flame.css"), load("flame.js")};
            for (int i = 1; i < r.length; i++) {
                if (r[i].toLowerCase(java.util.Locale.ROOT).contains("</")) {
                    throw new IllegalStateException("flame resource " + i + " contains '</', which would end its inline element");
                }
            }
            resources = r;
        }
        return r;
    }

    private static String load(String name) {
        try (InputStream in = HtmlWriter.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource dev/cprof/profile/" + name + " is missing from the cprof-profile jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
