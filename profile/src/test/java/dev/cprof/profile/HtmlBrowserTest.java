package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The HTML flame graph in a real headless Chromium, driven by playwright-core from
 * src/test/browser/flame-test.js, and a differential one from diff-test.js. Without node or
 * Chromium the tests fail when CI or CPROF_REQUIRE_BROWSER is set and are skipped otherwise. CPROF_CHROMIUM overrides the
 * browser path (default /usr/bin/chromium).
 */
class HtmlBrowserTest {
    private static final Path BROWSER_DIR = Path.of("src", "test", "browser");

    @Test
    void flameGraphWorksInChromium() throws Exception {
        String title = "checkout <cpu> & \"alloc\"";
        StringBuilder names = new StringBuilder();
        for (String n : HtmlWriterTest.TRICKY) {
            names.append(names.length() == 0 ? "" : ",").append(Json.string(n));
        }
        // The numbers follow HtmlWriterTest.fixture(): cpu 100 samples (instance 1: 35),
        // Json.parse 25, Server.handle 75, Checkout.pay 50 of which Größe.計算 40.
        String spec = "{\"title\":" + Json.string(title)
                + ",\"events\":[\"cpu\",\"alloc\"],\"total\":100,\"names\":[" + names + "]"
                + ",\"zoomFrame\":\"Checkout.pay\",\"zoomTooltip\":\"50 samples, 50.00% of total\""
                + ",\"zoomChild\":" + Json.string(HtmlWriterTest.UNICODE) + ",\"zoomChildShare\":0.8"
                + ",\"searches\":["
                + "{\"query\":\"Json\",\"matched\":\"matched 25.0%\",\"highlightedAtLeast\":1},"
                + "{\"query\":\"^Server|Json\",\"matched\":\"matched 75.0%\",\"highlightedAtLeast\":2},"
                + "{\"query\":\"Checkout|Größe\",\"matched\":\"matched 50.0%\",\"highlightedAtLeast\":2},"
                // An invalid regex (a lone backslash) falls back to a substring search.
                + "{\"query\":\"\\\\\",\"matched\":\"matched 10.0%\",\"highlightedAtLeast\":1},"
                + "{\"query\":\"Json\",\"matched\":\"matched 25.0%\",\"highlightedAtLeast\":1}]"
                + ",\"highlightFrame\":\"Json.parse\""
                + ",\"instance1Total\":35,\"instance1TotalText\":\"35 samples\",\"instance1Matched\":\"matched 28.6%\""
                + ",\"event1Instance1Total\":1000000,\"event1Total\":4000000,\"event1Unit\":\"bytes\""
                + ",\"screenshotSearch\":\"Json\""
                + ",\"lost\":5,\"unwalked\":7,\"lostText\":\"5 samples lost (buffer full 3, other 2)\""
                + ",\"unwalkedText\":\"7 unwalked (kept as pseudo frames)\""
                + ",\"legend\":[\"Interpreted\",\"Java compiled by C1\",\"Java compiled\",\"Inlined\",\"C++ (VM)\",\"Native\","
                + "\"Kernel\",\"Python\",\"Pseudo frame\"]"
                + ",\"types\":[" + types() + "]}";
        check("flame-test.js", "flame-browser-test.html", "flame.png",
                out -> Format.HTML.write(HtmlWriterTest.fixture(), out, WriteOptions.defaults().withTitle(title)), spec, 10_000);
    }

    /** Frames of the fixture, one per type, with the type the tooltip says and the SVG's fill for them. */
    private static String types() throws Exception {
        List<String[]> svg = SvgWriterTest.frames(SvgWriterTest.svg(HtmlWriterTest.fixture(), WriteOptions.defaults()));
        StringBuilder sb = new StringBuilder();
        for (String name : new String[] {"Server.handle", HtmlWriterTest.ANGLE, "Checkout.pay", "main", HtmlWriterTest.UNICODE,
            "os::malloc", HtmlWriterTest.SEMI, "do_syscall_64", HtmlWriterTest.QUOTED, "[gc]"}) {
            String[] f = SvgWriterTest.named(svg, name);
            sb.append(sb.length() == 0 ? "" : ",").append("{\"name\":").append(Json.string(name))
                    .append(",\"type\":").append(Json.string(f[6])).append(",\"fill\":").append(Json.string(f[3])).append('}');
        }
        return sb.toString();
    }

    /**
     * A differential flame graph (DiffTest's BASE and NEW): each frame is drawn in the colour
     * the SVG gives it (x grew: light red, b shrank: full blue, a and main unchanged: grey, c
     * new: full red), its tooltip gives the changes, and target/diff.png shows it.
     */
    @Test
    void diffFlameGraphWorksInChromium() throws Exception {
        Diff diff = DiffTest.diff(DiffTest.BASE, DiffTest.NEW);
        String title = "cprof diff base \u2192 new";
        List<String[]> svg = SvgWriterTest.frames(DiffSvgWriterTest.svg(diff, title));
        String[][] frames = {
            {"x", "grew", "\u0394 total +10.00pp, \u0394 self +10.00pp"},
            {"b", "shrank", "\u0394 total -20.00pp, \u0394 self -20.00pp"},
            {"a", "unchanged", "\u0394 total +0.00pp, \u0394 self -10.00pp"},
            {"main", "unchanged", "\u0394 total +0.00pp"},
            {"c", "new", "not in BASE"},
        };
        StringBuilder list = new StringBuilder();
        for (String[] f : frames) {
            list.append(list.length() == 0 ? "" : ",").append("{\"name\":").append(Json.string(f[0]))
                    .append(",\"fill\":").append(Json.string(SvgWriterTest.named(svg, f[0])[3]))
                    .append(",\"change\":").append(Json.string(f[1]))
                    .append(",\"tooltip\":").append(Json.string(f[2])).append('}');
        }
        String spec = "{\"title\":" + Json.string(title) + ",\"total\":200,\"legend\":\"full at 20pp\""
                + ",\"frames\":[" + list + "],\"hover\":\"x\"}";
        check("diff-test.js", "diff-browser-test.html", "diff.png", out -> HtmlWriter.writeDiff(diff, out, title), spec, 5_000);
    }

    interface Page {
        void write(OutputStream out) throws IOException;
    }

    /**
     * Writes the page to target/{@code htmlName} and runs src/test/browser/{@code script} on it
     * with the spec; the script leaves a screenshot of at least {@code minPng} bytes in
     * target/{@code pngName}.
     */
    static void check(String script, String htmlName, String pngName, Page page, String spec, int minPng)
            throws IOException, InterruptedException {
        Path dir = browserDir();
        Path target = Path.of("target").toAbsolutePath();
        Files.createDirectories(target);
        Path html = target.resolve(htmlName);
        Path png = target.resolve(pngName);
        Files.deleteIfExists(png);
        try (OutputStream out = Files.newOutputStream(html)) {
            page.write(out);
        }
        Result r = run(List.of("node", dir.resolve(script).toString(), html.toString(), png.toString(), spec), dir, 90);
        assertEquals(0, r.exit, "browser check failed:\n" + r.output);
        assertTrue(r.output.contains("OK"), r.output);
        assertTrue(Files.size(png) > minPng, "screenshot written to " + png);
    }

    /** src/test/browser with playwright-core installed; aborts (or fails on CI) without node or Chromium. */
    private static Path browserDir() throws IOException, InterruptedException {
        String chromium = System.getenv().getOrDefault("CPROF_CHROMIUM", "/usr/bin/chromium");
        if (!Files.isExecutable(Path.of(chromium))) {
            missing("Chromium not found at " + chromium + " (apt-get install chromium, or set CPROF_CHROMIUM)");
        }
        if (run(List.of("node", "--version"), Path.of("."), 20).exit != 0) {
            missing("node is not installed (apt-get install nodejs npm)");
        }
        Path dir = BROWSER_DIR.toAbsolutePath();
        if (!Files.isDirectory(dir.resolve("node_modules").resolve("playwright-core"))) {
            Result npm = run(List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"), dir, 300);
            if (npm.exit != 0) {
                missing("npm ci in " + dir + " failed (exit " + npm.exit + "):\n" + npm.output);
            }
        }
        return dir;
    }

    private static void missing(String message) {
        if (System.getenv("CI") != null || System.getenv("CPROF_REQUIRE_BROWSER") != null) {
            fail(message + " — the browser test is required (CI or CPROF_REQUIRE_BROWSER is set)");
        }
        Assumptions.abort(message);
    }

    private record Result(int exit, String output) {}

    private static Result run(List<String> command, Path dir, int timeoutSeconds) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new Result(127, e.getMessage());
        }
        p.getOutputStream().close();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = e.toString().getBytes(StandardCharsets.UTF_8);
            }
        });
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            reader.join(5000);
            fail(String.join(" ", command.subList(0, Math.min(2, command.size()))) + " timed out after " + timeoutSeconds + " s");
        }
        reader.join(5000);
        return new Result(p.exitValue(), out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8));
    }
}
