package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Speedscope output, parsed with a strict JSON parser and checked against the rules of
 * https://www.speedscope.app/file-format-schema.json for sampled profiles; values against
 * FlameView. A broken file must fail the same checks.
 */
class SpeedscopeWriterTest {
    static final String WEIRD = "com.example.\"Quoted\"\\Back$slash.<init>\u00e9\u4e2d\ud83d\ude00\ttab\nnl\u0001\u2028";

    static Profile profile(boolean twoInstances) {
        Profile p = new Profile();
        int i1 = p.addInstance(InstanceInfo.newBuilder().setHost("host-a").setPid(1234).setService("checkout").build());
        int i2 = twoInstances ? p.addInstance(InstanceInfo.newBuilder().setHost("host-b").setPid(99).setService("checkout").build()) : i1;
        int root = p.frame("java.lang.Thread.run", FrameKind.JAVA, 0);
        int a = p.frame(WEIRD, FrameKind.JAVA, 42);
        int b = p.frame("Checkout.lambda$run$0", FrameKind.JAVA, 0);
        int k = p.frame("do_syscall_64", FrameKind.KERNEL, 0);
        p.addSample(new int[] {root, a}, i1, EventType.CPU, 500, 5);
        p.addSample(new int[] {root, a}, i2, EventType.CPU, 250, 5);
        p.addSample(new int[] {root}, i1, EventType.CPU, 10, 5);
        p.addSample(new int[] {root, b, k}, i1, EventType.CPU, 50, 5);
        p.addSample(new int[] {root, b}, i2, EventType.LOCK, 3, 7_000_000);
        return p;
    }

    static String write(Profile p, WriteOptions o) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new SpeedscopeWriter().write(p, out, o);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void perEventAndInstanceProfilesMatchFlameView() throws IOException {
        Profile p = profile(true);
        String json = write(p, WriteOptions.defaults().withTitle("checkout \u2014 cpu"));
        Map<String, Object> doc = validate(json);
        assertEquals("cprof", doc.get("exporter"));
        assertEquals("checkout \u2014 cpu", doc.get("name"));
        List<Object> profiles = list(doc.get("profiles"));
        List<String> names = new ArrayList<>();
        for (Object o : profiles) {
            names.add((String) map(o).get("name"));
        }
        // lock has no samples on host-a: left out
        assertEquals(List.of("cpu \u2014 host-a:1234 checkout", "cpu \u2014 host-b:99 checkout", "lock \u2014 host-b:99 checkout"), names);
        assertEquals(0L, doc.get("activeProfileIndex"));
        int[][] which = {{0, 0}, {0, 1}, {1, 1}};
        EventType[] events = {EventType.CPU, EventType.CPU, EventType.LOCK};
        for (int i = 0; i < 3; i++) {
            Map<String, Object> prof = map(profiles.get(i));
            FlameView view = FlameView.of(p, events[i], which[i][1]);
            assertEquals(view.total(StackTree.ROOT), sum(list(prof.get("weights"))), names.get(i));
            assertEquals(view.total(StackTree.ROOT), prof.get("endValue"));
            assertEquals(events[i] == EventType.LOCK ? "nanoseconds" : "none", prof.get("unit"));
        }
        // frames: the special name survives exactly, with its line
        List<Object> frames = list(map(doc.get("shared")).get("frames"));
        Map<String, Object> weird = null;
        for (Object f : frames) {
            if (WEIRD.equals(map(f).get("name"))) {
                weird = map(f);
            }
        }
        assertTrue(weird != null, "frame with special characters is kept exactly: " + frames);
        assertEquals(42L, weird.get("line"));
        // stacks are root first: every sample starts with Thread.run
        for (Object prof : profiles) {
            for (Object s : list(map(prof).get("samples"))) {
                assertEquals("java.lang.Thread.run", map(frames.get(((Long) list(s).get(0)).intValue())).get("name"));
            }
        }
        nodeCheck(json, List.of(p.total(EventType.CPU, 0), p.total(EventType.CPU, 1), p.total(EventType.LOCK, 1)));
    }

    @Test
    void oneInstanceGivesOneProfilePerEvent() throws IOException {
        Profile p = profile(false);
        Map<String, Object> doc = validate(write(p, WriteOptions.defaults().withEvent(EventType.LOCK)));
        List<Object> profiles = list(doc.get("profiles"));
        assertEquals(2, profiles.size());
        assertEquals("cpu", map(profiles.get(0)).get("name"));
        assertEquals("lock", map(profiles.get(1)).get("name"));
        assertEquals(1L, doc.get("activeProfileIndex"), "the chosen event is the active profile");
        assertEquals(p.total(EventType.CPU, -1), sum(list(map(profiles.get(0)).get("weights"))));
        assertEquals(3L, list(map(profiles.get(0)).get("samples")).size());
        assertEquals(810L, p.total(EventType.CPU, -1));
    }

    @Test
    void chosenInstanceAndEmptyProfile() throws IOException {
        Profile p = profile(true);
        Map<String, Object> doc = validate(write(p, new WriteOptions("t", null, 1)));
        List<Object> profiles = list(doc.get("profiles"));
        assertEquals("cpu \u2014 host-b:99 checkout", map(profiles.get(0)).get("name"));
        assertEquals(250L, sum(list(map(profiles.get(0)).get("weights"))));
        Map<String, Object> empty = validate(write(new Profile(), WriteOptions.defaults()));
        assertEquals(1, list(empty.get("profiles")).size());
    }

    @Test
    void validatorRejectsBrokenFiles() throws IOException {
        String good = write(profile(true), WriteOptions.defaults());
        validate(good);
        List<String> broken = List.of(
                good.substring(0, good.length() - 3),                                            // truncated
                good.replaceFirst("\"weights\":\\[(\\d+),", "\"weights\":["),                    // samples/weights lengths differ
                good.replaceFirst("\"unit\":\"none\"", "\"unit\":\"samples\""),                  // unit not in the enum
                good.replaceFirst("\"samples\":\\[\\[0", "\"samples\":[[999"),                   // frame index out of range
                good.replaceFirst("\"startValue\":0", "\"startValue\":99999999"),                // end before start
                good.replaceFirst("\"type\":\"sampled\",", ""),                                  // missing type
                good.replaceFirst("\\{\"name\":\"java.lang.Thread.run\"\\}", "{\"nam\":\"x\"}"), // frame without name
                good.replaceFirst("\"exporter\":\"cprof\"", "\"exporter\":\"cprof\",}"),         // trailing comma
                good.replace("\\\"Quoted\\\"", "\"Quoted\""));                                   // unescaped quote
        for (String b : broken) {
            assertTrue(!b.equals(good), "the mutation applies");
            assertThrows(AssertionError.class, () -> validate(b), () -> "accepted a broken file:\n" + b);
        }
    }

    @Test
    void escaperWritesValidJson() {
        for (String s : List.of("", "plain", WEIRD, "\ud800 lone high", "lone low \udc00", "\u007f\u0000\u001f")) {
            StringBuilder sb = new StringBuilder();
            dev.cprof.profile.Json.string(sb, s);
            assertEquals(s, new Json(sb.toString()).parseWhole(), sb.toString());
        }
    }

    // ---- schema rules of https://www.speedscope.app/file-format-schema.json (sampled profiles) ----

    static final Set<String> UNITS = Set.of("none", "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes");

    static Map<String, Object> validate(String json) {
        Object parsed = new Json(json).parseWhole();
        Map<String, Object> doc = map(parsed);
        check("https://www.speedscope.app/file-format-schema.json".equals(doc.get("$schema")), "$schema");
        check(doc.get("shared") instanceof Map, "shared is an object");
        Object frames = map(doc.get("shared")).get("frames");
        check(frames instanceof List, "shared.frames is an array");
        int frameCount = list(frames).size();
        for (Object f : list(frames)) {
            check(f instanceof Map, "frame is an object");
            check(map(f).get("name") instanceof String, "frame.name is a string");
            for (String opt : List.of("line", "col")) {
                check(!map(f).containsKey(opt) || map(f).get(opt) instanceof Long, "frame." + opt + " is a number");
            }
            check(!map(f).containsKey("file") || map(f).get("file") instanceof String, "frame.file is a string");
        }
        check(doc.get("profiles") instanceof List && !list(doc.get("profiles")).isEmpty(), "profiles is a non-empty array");
        for (String opt : List.of("name", "exporter")) {
            check(!doc.containsKey(opt) || doc.get(opt) instanceof String, opt + " is a string");
        }
        if (doc.containsKey("activeProfileIndex")) {
            Object a = doc.get("activeProfileIndex");
            check(a instanceof Long && (Long) a >= 0 && (Long) a < list(doc.get("profiles")).size(), "activeProfileIndex in range");
        }
        for (Object o : list(doc.get("profiles"))) {
            check(o instanceof Map, "profile is an object");
            Map<String, Object> prof = map(o);
            check("sampled".equals(prof.get("type")), "profile.type is sampled");
            check(prof.get("name") instanceof String, "profile.name is a string");
            check(UNITS.contains(prof.get("unit")), "profile.unit in " + UNITS + ": " + prof.get("unit"));
            check(prof.get("startValue") instanceof Long || prof.get("startValue") instanceof Double, "startValue is a number");
            check(prof.get("endValue") instanceof Long || prof.get("endValue") instanceof Double, "endValue is a number");
            check(((Number) prof.get("endValue")).doubleValue() >= ((Number) prof.get("startValue")).doubleValue(), "endValue >= startValue");
            check(prof.get("samples") instanceof List && prof.get("weights") instanceof List, "samples and weights are arrays");
            List<Object> samples = list(prof.get("samples"));
            List<Object> weights = list(prof.get("weights"));
            check(samples.size() == weights.size(), "samples.length == weights.length");
            for (Object s : samples) {
                check(s instanceof List, "a sample is an array");
                for (Object idx : list(s)) {
                    check(idx instanceof Long && (Long) idx >= 0 && (Long) idx < frameCount, "frame index in range: " + idx);
                }
            }
            for (Object w : weights) {
                check(w instanceof Long && (Long) w >= 0, "weight is a non-negative number");
            }
            check(sum(weights) <= ((Number) prof.get("endValue")).doubleValue() - ((Number) prof.get("startValue")).doubleValue(),
                    "weights fit between startValue and endValue");
        }
        return doc;
    }

    static void check(boolean ok, String rule) {
        if (!ok) {
            throw new AssertionError("speedscope schema: " + rule);
        }
    }

    static long sum(List<Object> weights) {
        long s = 0;
        for (Object w : weights) {
            s += (Long) w;
        }
        return s;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        check(o instanceof Map, "expected an object");
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        check(o instanceof List, "expected an array");
        return (List<Object>) o;
    }

    /** When node is installed, JSON.parse must agree (weights per profile); skipped otherwise. */
    static void nodeCheck(String json, List<Long> totals) throws IOException {
        Path node = null;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Paths.get(dir, "node"))) {
                node = Paths.get(dir, "node");
                break;
            }
        }
        if (node == null) {
            return;
        }
        Path dir = Paths.get("target", "speedscope-test");
        Files.createDirectories(dir);
        Path file = dir.resolve("profile.json").toAbsolutePath();
        Files.writeString(file, json, StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder(node.toString(), "-e",
                "const d=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8'));"
                        + "console.log(d.profiles.map(p=>p.weights.reduce((a,b)=>a+b,0)).join(','));"
                        + "if(!d.shared.frames.some(f=>f.name===" + jsString(WEIRD) + "))process.exit(3);",
                file.toString());
        pb.redirectErrorStream(true);
        Process proc = pb.start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            check(proc.waitFor(60, TimeUnit.SECONDS), "node finished");
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
        assertEquals(0, proc.exitValue(), "node JSON.parse: " + out);
        StringBuilder expected = new StringBuilder();
        for (long t : totals) {
            expected.append(expected.length() == 0 ? "" : ",").append(t);
        }
        assertEquals(expected.toString(), out);
    }

    static String jsString(String s) {
        StringBuilder sb = new StringBuilder();
        dev.cprof.profile.Json.string(sb, s);
        return sb.toString();
    }

    /** A strict RFC 8259 parser: objects → LinkedHashMap, arrays → List, integers → Long, other numbers → Double. */
    static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object parseWhole() {
            Object v = value();
            ws();
            check(i == s.length(), "JSON: trailing text at " + i);
            return v;
        }

        private void ws() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
        }

        private char peek() {
            check(i < s.length(), "JSON: unexpected end");
            return s.charAt(i);
        }

        private void expect(char c) {
            check(peek() == c, "JSON: expected '" + c + "' at " + i + ", got '" + peek() + "'");
            i++;
        }

        private Object value() {
            ws();
            char c = peek();
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (peek() == '}') {
                        i++;
                        return m;
                    }
                    while (true) {
                        ws();
                        String k = string();
                        check(!m.containsKey(k), "JSON: duplicate key " + k);
                        ws();
                        expect(':');
                        m.put(k, value());
                        ws();
                        if (peek() == ',') {
                            i++;
                            continue;
                        }
                        expect('}');
                        return m;
                    }
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (peek() == ']') {
                        i++;
                        return l;
                    }
                    while (true) {
                        l.add(value());
                        ws();
                        if (peek() == ',') {
                            i++;
                            continue;
                        }
                        expect(']');
                        return l;
                    }
                }
                case '"':
                    return string();
                case 't':
                    return literal("true", Boolean.TRUE);
                case 'f':
                    return literal("false", Boolean.FALSE);
                case 'n':
                    return literal("null", null);
                default:
                    return number();
            }
        }

        private Object literal(String word, Object v) {
            check(s.startsWith(word, i), "JSON: bad literal at " + i);
            i += word.length();
            return v;
        }

        private Object number() {
            int start = i;
            if (peek() == '-') {
                i++;
            }
            check(i < s.length() && Character.isDigit(s.charAt(i)), "JSON: bad value at " + start);
            if (s.charAt(i) == '0') {
                i++;
            } else {
                while (i < s.length() && Character.isDigit(s.charAt(i))) {
                    i++;
                }
            }
            boolean integer = true;
            if (i < s.length() && s.charAt(i) == '.') {
                integer = false;
                i++;
                check(i < s.length() && Character.isDigit(s.charAt(i)), "JSON: bad fraction at " + i);
                while (i < s.length() && Character.isDigit(s.charAt(i))) {
                    i++;
                }
            }
            if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                integer = false;
                i++;
                if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                    i++;
                }
                check(i < s.length() && Character.isDigit(s.charAt(i)), "JSON: bad exponent at " + i);
                while (i < s.length() && Character.isDigit(s.charAt(i))) {
                    i++;
                }
            }
            String text = s.substring(start, i);
            return integer ? (Object) Long.parseLong(text) : (Object) Double.parseDouble(text);
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = peek();
                i++;
                if (c == '"') {
                    return sb.toString();
                }
                check(c >= 0x20, "JSON: raw control character in a string at " + (i - 1));
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = peek();
                i++;
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        check(i + 4 <= s.length(), "JSON: short \\u escape");
                        sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> throw new AssertionError("JSON: bad escape \\" + e);
                }
            }
        }
    }
}
