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
 * instance is embedded once, as {@link FlameJson} describes; the page ({@link #SCRIPTS}) renders
 * the selected event, instance and time range on a canvas, with zoom, search, tooltips,
 * selectors and, when the profile has a timeline, a heat map of the instances over time.
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
    /**
     * The viewer's scripts, in the order they run: each fills in its part of the namespace V
     * that the wrapper around them declares, so they share no global but window.cprof (the API
     * for tests and scripts). One script element holds them all: the page stays one file.
     */
    private static final String[] SCRIPTS = {"flame-data.js", "flame-colours.js", "flame-draw.js", "flame-heatmap.js", "flame.js"};

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
            StringBuilder js = new StringBuilder("(function () {\n'use strict';\nvar V = {};\n");
            for (String script : SCRIPTS) {
                js.append(load(script)).append('\n');
            }
            r = new String[] {load("flame.html"), load("flame.css"), js.append("})();\n").toString()};
            for (int i = 1; i < r.length; i++) {
                // "</" ends the element; "<!--" and "<script" change how the parser reads it.
                String lower = r[i].toLowerCase(java.util.Locale.ROOT);
                if (lower.contains("</") || lower.contains("<!--") || lower.contains("<script")) {
                    throw new IllegalStateException("flame resource " + i + " contains '</', '<!--' or '<script', which would break its inline element");
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
