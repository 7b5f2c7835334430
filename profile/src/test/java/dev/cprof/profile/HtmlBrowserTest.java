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
 * src/test/browser/flame-test.js. Without node or Chromium the test fails when CI or
 * CPROF_REQUIRE_BROWSER is set and is skipped otherwise. CPROF_CHROMIUM overrides the
 * browser path (default /usr/bin/chromium).
 */
class HtmlBrowserTest {
    private static final Path BROWSER_DIR = Path.of("src", "test", "browser");

    @Test
    void flameGraphWorksInChromium() throws Exception {
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

        Path target = Path.of("target").toAbsolutePath();
        Files.createDirectories(target);
        Path html = target.resolve("flame-browser-test.html");
        Path png = target.resolve("flame.png");
        Files.deleteIfExists(png);
        String title = "checkout <cpu> & \"alloc\"";
        try (OutputStream out = Files.newOutputStream(html)) {
            Format.HTML.write(HtmlWriterTest.fixture(), out, WriteOptions.defaults().withTitle(title));
        }
        StringBuilder names = new StringBuilder();
        for (String n : HtmlWriterTest.TRICKY) {
            names.append(names.length() == 0 ? "" : ",").append(jsonString(n));
        }
        // The numbers follow HtmlWriterTest.fixture(): cpu 100 samples (instance 1: 35),
        // Json.parse 25, Server.handle 75, Checkout.pay 50 of which Größe.計算 40.
        String spec = "{\"title\":" + jsonString(title)
                + ",\"events\":[\"cpu\",\"alloc\"],\"total\":100,\"names\":[" + names + "]"
                + ",\"zoomFrame\":\"Checkout.pay\",\"zoomTooltip\":\"50 samples, 50.00% of total\""
                + ",\"zoomChild\":" + jsonString(HtmlWriterTest.UNICODE) + ",\"zoomChildShare\":0.8"
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
                + ",\"screenshotSearch\":\"Json\"}";
        Result r = run(List.of("node", dir.resolve("flame-test.js").toString(), html.toString(), png.toString(), spec), dir, 90);
        assertEquals(0, r.exit, "browser check failed:\n" + r.output);
        assertTrue(r.output.contains("OK"), r.output);
        assertTrue(Files.size(png) > 10_000, "screenshot written to " + png);
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

    private static String jsonString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
