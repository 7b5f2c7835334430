package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.profile.Format;
import dev.cprof.profile.Profile;
import dev.cprof.profile.WriteOptions;
import dev.cprof.session.ExitCodes;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DiffCommandTest {
    /** BASE 100 samples: Cart.total 10 % self / 20 % total. */
    static final String BASE = String.join("\n",
            "main;com.shop.Server.handle;com.shop.Cart.total 10",
            "main;com.shop.Server.handle;com.shop.Cart.total;com.shop.Tax.rate 10",
            "main;com.shop.Server.handle;java.util.HashMap.get 30",
            "main;com.shop.Server.handle 50", "");
    /** NEW 200 samples: Cart.total 13.5 % self / 23.5 % total; a new method Json.parse at 2 %. */
    static final String NEW = String.join("\n",
            "main;com.shop.Server.handle;com.shop.Cart.total 27",
            "main;com.shop.Server.handle;com.shop.Cart.total;com.shop.Tax.rate 20",
            "main;com.shop.Server.handle;java.util.HashMap.get 49",
            "main;com.shop.Server.handle;com.fasterxml.Json.parse 4",
            "main;com.shop.Server.handle 100", "");

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
        String[] errLines() {
            return err.isEmpty() ? new String[0] : err.split("\\R");
        }
    }

    /** Runs cprof with diff registered (whether or not Main lists it yet). */
    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            CommandLine cl = Main.commandLine(o, e);
            if (!cl.getSubcommands().containsKey("diff")) {
                cl.addSubcommand("diff", new DiffCommand());
                // settings reach only the subcommands present when they are set
                cl.setOut(cl.getOut());
                cl.setErr(cl.getErr());
                cl.setExecutionExceptionHandler(cl.getExecutionExceptionHandler());
                cl.setParameterExceptionHandler(cl.getParameterExceptionHandler());
            }
            code = cl.execute(args);
        }
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path file(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private String[] files() throws IOException {
        return new String[] {file("base.collapsed", BASE).toString(), file("new.collapsed", NEW).toString()};
    }

    private static String[] args(String[] files, String... more) {
        String[] a = new String[3 + more.length];
        a[0] = "diff";
        a[1] = files[0];
        a[2] = files[1];
        System.arraycopy(more, 0, a, 3, more.length);
        return a;
    }

    @Test
    void printsAnAlignedTableOfTheLargestChanges() throws IOException {
        Result r = run(args(files()));
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("cpu: BASE 100 samples ("), lines.get(0));
        assertTrue(lines.get(0).endsWith("), total +100.00%"), lines.get(0));
        String header = lines.get(2);
        assertTrue(header.startsWith("method "), header);
        assertTrue(header.endsWith("base self   new self  \u0394 self pp  base total   new total  \u0394 total pp"), header);
        // Server.handle self 50 → 50 %, unchanged; HashMap.get 30 → 24.5; Cart.total 10/20 → 13.5/23.5; Tax.rate 10 → 10;
        // Json.parse new at 2 %.
        assertEquals(List.of("java.util.HashMap.get", "com.shop.Cart.total", "com.fasterxml.Json.parse"),
                lines.subList(3, lines.size()).stream().map(l -> l.split(" +")[0]).toList());
        int w = header.indexOf("base self") - 2;
        assertEquals(String.format("%-" + w + "s  %9s  %9s  %9s  %10s  %10s  %10s", "com.shop.Cart.total",
                "10.00%", "13.50%", "+3.50", "20.00%", "23.50%", "+3.50"), lines.get(4));
        assertEquals(String.format("%-" + w + "s  %9s  %9s  %9s  %10s  %10s  %10s", "com.fasterxml.Json.parse",
                "-", "2.00%", "+2.00", "-", "2.00%", "+2.00"), lines.get(5));
        for (String l : lines.subList(2, lines.size())) {
            assertEquals(header.length(), l.length(), "aligned: " + l);
        }

        Result top1 = run(args(files(), "--top", "1"));
        assertEquals(5, top1.out().lines().count(), top1.out());
        assertTrue(top1.out().contains("(2 more methods changed; --top 0 shows all)"), top1.out());
    }

    @Test
    void violatedRulesExitTenAfterWritingEverything() throws IOException {
        Path svg = dir.resolve("diff.svg");
        Result r = run(args(files(), "-o", svg.toString(), "--fail-on", "com.shop.*:+2pp", "--fail-on", "total:+50%",
                "--fail-on", "new:1%", "--fail-on", "self:com.shop.*:+5pp", "--fail-on", "new:3%"));
        assertEquals(ExitCodes.REGRESSION, r.code(), r.err());
        assertEquals(List.of(
                "cprof: regression: com.shop.Cart.total grew 3.5pp (rule 'com.shop.*:+2pp')",
                "cprof: regression: total cpu samples grew 100% (100 \u2192 200) (rule 'total:+50%')",
                "cprof: regression: new method com.fasterxml.Json.parse takes 2% (rule 'new:1%')"),
                List.of(r.errLines()));
        assertTrue(r.out().contains("com.shop.Cart.total"), "the table is printed too");
        assertTrue(Files.size(svg) > 0, "the flame graph is written too");

        Result ok = run(args(files(), "--fail-on", "com.shop.*:+3.5pp", "--fail-on", "total:+100%"));
        assertEquals(0, ok.code(), ok.err());
    }

    @Test
    void malformedRuleIsAUsageError() throws IOException {
        Result r = run(args(files(), "--fail-on", "com.shop.*:+2%"));
        assertEquals(ExitCodes.USAGE, r.code());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().startsWith("cprof: "), r.err());
        assertTrue(r.err().contains("bad rule 'com.shop.*:+2%': a method's share changes in percentage points"), r.err());
        assertEquals("", r.out());

        assertEquals(ExitCodes.USAGE, run(args(files(), "--fail-on", "total:5")).code());
        assertEquals(ExitCodes.USAGE, run(args(files(), "--top", "-1")).code());
        assertEquals(ExitCodes.USAGE, run(args(files(), "-o", dir.resolve("d.collapsed").toString())).code());
        assertEquals(ExitCodes.USAGE, run(args(files(), "-o", "-")).code());
        assertEquals(ExitCodes.USAGE, run("diff", files()[0]).code());
    }

    @Test
    void helpRendersTheRules() {
        Result r = run("diff", "--help");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("total:+5%  "), r.out());
        assertTrue(r.out().contains("new:1%  "), r.out());
        assertTrue(r.out().contains("--fail-on=RULE"), r.out());
        assertTrue(r.out().contains("(default 20;"), r.out());
    }

    @Test
    void badInputIsOneLine() throws IOException {
        String[] f = files();
        Result r = run("diff", f[0], dir.resolve("nope.collapsed").toString());
        assertEquals(ExitCodes.FAILED, r.code());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("no such file"), r.err());
        Result e = run(args(f, "-e", "alloc"));
        assertEquals(ExitCodes.FAILED, e.code());
        assertTrue(e.err().contains("has no alloc samples (it has: cpu)"), e.err());
    }

    @Test
    void jsonParsesAndCarriesTheNumbers() throws IOException {
        Result r = run(args(files(), "--json", "--fail-on", "com.shop.*:+2pp", "--fail-on", "total:+500%"));
        assertEquals(ExitCodes.REGRESSION, r.code(), r.err());
        @SuppressWarnings("unchecked")
        Map<String, Object> o = (Map<String, Object>) new TinyJson(r.out().trim()).parseAll();
        assertEquals("cpu", o.get("event"));
        assertEquals(100.0, ((Map<?, ?>) o.get("base")).get("total"));
        assertEquals(200.0, ((Map<?, ?>) o.get("new")).get("total"));
        assertEquals(100.0, o.get("totalChangePercent"));
        List<?> rows = (List<?>) o.get("rows");
        assertEquals(3, rows.size());
        Map<?, ?> cart = (Map<?, ?>) rows.get(1);
        assertEquals("com.shop.Cart.total", cart.get("method"));
        assertEquals(10.0, cart.get("baseSelf"));
        assertEquals(13.5, cart.get("newSelf"));
        assertEquals(3.5, cart.get("deltaSelf"));
        assertEquals(23.5, cart.get("newTotal"));
        assertEquals(false, cart.get("new"));
        assertEquals(true, ((Map<?, ?>) rows.get(2)).get("new"));
        List<?> v = (List<?>) o.get("violations");
        assertEquals(1, v.size());
        assertEquals("com.shop.*:+2pp", ((Map<?, ?>) v.get(0)).get("rule"));
        assertEquals(1, r.errLines().length);
    }

    @Test
    void jsonEscapesStrangeNames() throws IOException {
        String weird = "Foo.\"quoted\"\\back\tslash\u0001\u00e9";
        Path b = file("b.collapsed", "main;x 1\n");
        Path n = file("n.collapsed", "main;x 1\nmain;" + weird + " 1\n");
        Result r = run("diff", b.toString(), n.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        Map<?, ?> o = (Map<?, ?>) new TinyJson(r.out().trim()).parseAll();
        List<String> methods = new ArrayList<>();
        for (Object row : (List<?>) o.get("rows")) {
            methods.add((String) ((Map<?, ?>) row).get("method"));
        }
        assertTrue(methods.contains(weird), methods.toString());
    }

    @Test
    void writesSvgAndHtml() throws Exception {
        String[] f = files();
        Path svg = dir.resolve("d.svg");
        assertEquals(0, run(args(f, "-o", svg.toString(), "--title", "t & u")).code());
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        var doc = dbf.newDocumentBuilder().parse(svg.toFile());
        assertEquals("svg", doc.getDocumentElement().getNodeName());
        assertTrue(Files.readString(svg).contains("fill=\"rgb(255,60,60)\""), "Json.parse is new: red");
        Path html = dir.resolve("d.html");
        assertEquals(0, run(args(f, "-o", html.toString())).code());
        String page = Files.readString(html);
        assertTrue(page.startsWith("<!DOCTYPE html>") && page.contains("id=\"cprof-data\""), page.substring(0, 200));
        assertTrue(page.contains("\"delta\":{") && !page.contains("<svg"), "the interactive page with the diff's delta");
    }

    @Test
    void perInstanceNamesTheOutlier() throws IOException {
        Profile p = new Profile();
        int main = p.frame("main", FrameKind.JAVA, 0);
        int[] leaf = {p.frame("a", FrameKind.JAVA, 0), p.frame("b", FrameKind.JAVA, 0), p.frame("c", FrameKind.JAVA, 0)};
        long[][] counts = {{50, 50, 0}, {52, 48, 0}, {48, 52, 0}, {20, 0, 80}};
        for (int i = 0; i < counts.length; i++) {
            int inst = p.addInstance(InstanceInfo.newBuilder().setInstanceId(i + 1).setHost("host-" + (char) ('a' + i))
                    .setPid(100 + i).setService("checkout").build());
            for (int m = 0; m < 3; m++) {
                if (counts[i][m] > 0) {
                    p.addSample(new int[] {main, leaf[m]}, inst, EventType.CPU, counts[i][m], 0);
                }
            }
        }
        Path fleet = dir.resolve("fleet.cprof");
        try (OutputStream o = Files.newOutputStream(fleet)) {
            Format.CPROF.write(p, o, WriteOptions.defaults());
        }
        Path base = file("base.collapsed", "main;a 50\nmain;b 50\n");
        Result r = run("diff", base.toString(), fleet.toString(), "--per-instance");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("fleet of NEW (4 instances with cpu samples): most different is host-d:103 checkout,"
                + " distance 0.790 from the fleet's median (next 0.020)"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("  c +80\\.00% +0\\.00% +\\+80\\.00")), r.out());
        assertFalse(r.out().contains("fleet of BASE"), "BASE has one instance");

        Result j = run("diff", base.toString(), fleet.toString(), "--per-instance", "--json");
        Map<?, ?> o = (Map<?, ?>) new TinyJson(j.out().trim()).parseAll();
        Map<?, ?> outliers = (Map<?, ?>) o.get("outliers");
        assertEquals("host-d:103 checkout", ((Map<?, ?>) outliers.get("new")).get("outlier"));
        assertEquals(0.79, ((Map<?, ?>) ((List<?>) ((Map<?, ?>) outliers.get("new")).get("instances")).get(0)).get("distance"));
        assertTrue(outliers.containsKey("base") && outliers.get("base") == null);
    }

    /** A strict little JSON parser for the tests: objects, arrays, strings, numbers, true/false/null. */
    static final class TinyJson {
        private final String s;
        private int i;

        TinyJson(String s) {
            this.s = s;
        }

        Object parseAll() {
            Object v = value();
            ws();
            if (i != s.length()) {
                throw error("trailing text");
            }
            return v;
        }

        private Object value() {
            ws();
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                ws();
                if (peek('}')) {
                    return m;
                }
                do {
                    ws();
                    String k = string();
                    ws();
                    expect(':');
                    if (m.put(k, value()) != null) {
                        throw error("duplicate key " + k);
                    }
                    ws();
                } while (peek(','));
                expect('}');
                return m;
            }
            if (c == '[') {
                i++;
                List<Object> l = new ArrayList<>();
                ws();
                if (peek(']')) {
                    return l;
                }
                do {
                    l.add(value());
                    ws();
                } while (peek(','));
                expect(']');
                return l;
            }
            if (c == '"') {
                return string();
            }
            for (String lit : new String[] {"true", "false", "null"}) {
                if (s.startsWith(lit, i)) {
                    i += lit.length();
                    return lit.equals("null") ? null : Boolean.valueOf(lit);
                }
            }
            int start = i;
            if (peek('-')) {
                // sign
            }
            digits(true);
            if (peek('.')) {
                digits(false);
            }
            if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                i++;
                if (!peek('+')) {
                    peek('-');
                }
                digits(false);
            }
            return Double.parseDouble(s.substring(start, i));
        }

        private void digits(boolean integerPart) {
            int start = i;
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
                i++;
            }
            if (i == start || (integerPart && s.charAt(start) == '0' && i - start > 1)) {
                throw error("bad number");
            }
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw error("unterminated string");
                }
                char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw error("raw control character in string");
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> throw error("bad escape \\" + e);
                }
            }
        }

        private void ws() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
        }

        private boolean peek(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw error("expected '" + c + "'");
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at " + i + ": " + s.substring(Math.max(0, i - 20), Math.min(s.length(), i + 20)));
        }
    }
}
