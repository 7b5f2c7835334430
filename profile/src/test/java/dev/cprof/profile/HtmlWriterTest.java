package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.Dropped;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.FrameType;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class HtmlWriterTest {
    static final String UNICODE = "Größe.計算";
    static final String ANGLE = "a<b>$c";
    static final String SEMI = "x;y";
    static final String QUOTED = "\"quoted\" \\back\\slash";
    static final String SCRIPT = "</script><script>alert(1)</script>";
    static final String[] TRICKY = {UNICODE, ANGLE, SEMI, QUOTED, SCRIPT};

    /**
     * Two instances, two events. CPU over all instances totals 100 samples (instance 0: 65,
     * instance 1: 35); Json.parse is 25 of them; alloc totals 4,000,000 bytes.
     */
    static Profile fixture() {
        Profile p = new Profile();
        int i0 = p.addInstance(InstanceInfo.newBuilder().setInstanceId(1).setHost("host-a").setPid(101).setService("checkout").build());
        int i1 = p.addInstance(InstanceInfo.newBuilder().setInstanceId(2).setHost("host-b").setPid(202).setService("checkout").build());
        int main = p.frame("main", FrameKind.JAVA, 0);
        int server = p.frame("Server.handle", FrameKind.JAVA, FrameType.INTERPRETED, 0);
        int pay = p.frame("Checkout.pay", FrameKind.JAVA, FrameType.JIT_COMPILED, 0);
        int unicode = p.frame(UNICODE, FrameKind.JAVA, FrameType.INLINED, 0);
        int angle = p.frame(ANGLE, FrameKind.JAVA, FrameType.C1_COMPILED, 0);
        int json = p.frame("Json.parse", FrameKind.JAVA, FrameType.JIT_COMPILED, 0);
        int semi = p.frame(SEMI, FrameKind.NATIVE, FrameType.STUB, 0);
        int quoted = p.frame(QUOTED, FrameKind.PYTHON, 0);
        int gc = p.frame("[gc]", FrameKind.PSEUDO, 0);
        int sys = p.frame("do_syscall_64", FrameKind.KERNEL, 0);
        int script = p.frame(SCRIPT, FrameKind.JAVA, 0);
        int malloc = p.frame("os::malloc", FrameKind.NATIVE, 0);
        EventType cpu = EventType.CPU;
        p.addSample(new int[] {main, server, pay, unicode}, i0, cpu, 30, 0);
        p.addSample(new int[] {main, server, pay, unicode}, i1, cpu, 10, 0);
        p.addSample(new int[] {main, server, pay, angle}, i0, cpu, 10, 0);
        p.addSample(new int[] {main, server, json, semi}, i0, cpu, 15, 0);
        p.addSample(new int[] {main, server, json, semi}, i1, cpu, 10, 0);
        p.addSample(new int[] {main, quoted}, i1, cpu, 10, 0);
        p.addSample(new int[] {main, gc, sys}, i0, cpu, 5, 0);
        p.addSample(new int[] {main, gc, sys}, i1, cpu, 5, 0);
        p.addSample(new int[] {main, script, malloc}, i0, cpu, 5, 0);
        p.addSample(new int[] {main, server, pay, unicode}, i0, EventType.ALLOC, 3, 3_000_000);
        p.addSample(new int[] {main, server, json}, i1, EventType.ALLOC, 1, 1_000_000);
        // A node with a zero measure (alloc is measured by weight) must not reach the page.
        p.addSample(new int[] {main, p.frame("Nothing.here", FrameKind.JAVA, 0)}, i0, EventType.ALLOC, 1, 0);
        // 5 samples lost in the agents; 7 unwalked, which are in the stacks above ([gc] has 10)
        p.addDropped(Dropped.newBuilder().setBufferFull(3).setUnwalkable(7).setOther(2).build());
        return p;
    }

    static String html(Profile p, WriteOptions o) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Format.HTML.write(p, out, o);
        return out.toString(StandardCharsets.UTF_8);
    }

    static String embeddedJson(String html) {
        String open = "<script type=\"application/json\" id=\"cprof-data\">";
        int start = html.indexOf(open);
        assertTrue(start >= 0, "no embedded data");
        start += open.length();
        int end = html.indexOf("</script>", start);
        return html.substring(start, end);
    }

    @Test
    void embeddedDataIsExactAndCannotBreakThePage() throws IOException {
        Profile p = fixture();
        String html = html(p, WriteOptions.defaults().withTitle("t</title><b>x</b>"));
        String json = embeddedJson(html);
        assertFalse(json.contains("<"), "raw '<' inside the data element");
        assertFalse(json.contains(">"), "raw '>' inside the data element");
        assertFalse(html.contains(SCRIPT), "the script-like name must only appear escaped");
        assertTrue(html.contains("<title>t&lt;/title&gt;&lt;b&gt;x&lt;/b&gt;</title>"), "title escaped");

        @SuppressWarnings("unchecked")
        Map<String, Object> data = (Map<String, Object>) new Json(json).parse();
        assertEquals("cprof-flame", data.get("format"));
        assertEquals("t</title><b>x</b>", data.get("title"));
        @SuppressWarnings("unchecked")
        List<Object> names = (List<Object>) ((Map<String, Object>) data.get("frames")).get("name");
        for (String tricky : TRICKY) {
            assertTrue(names.contains(tricky), "name missing or altered: " + tricky + " in " + names);
        }
        assertFalse(names.contains("Nothing.here"), "zero-valued frames are pruned");
        assertEquals(List.of("host-a:101 checkout", "host-b:202 checkout"), data.get("instances"));

        // Every (event, instance) selection decodes to exactly the profile's stacks.
        for (EventType e : p.events()) {
            for (int inst = -1; inst < 2; inst++) {
                assertEquals(expectedStacks(p, e, inst), decodedStacks(data, Events.name(e), inst), e + " instance " + inst);
            }
        }
    }

    @Test
    void pageIsSelfContained() throws IOException {
        String html = html(fixture(), WriteOptions.defaults());
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertFalse(html.contains("http://") || html.contains("https://") || html.contains("//cdn"), "no URLs");
        assertFalse(html.contains(" src="), "no external scripts or images");
        assertTrue(html.contains("default-src 'none'"), "a CSP that forbids fetches");
        for (String id : new String[] {"id=\"search\"", "id=\"reset\"", "id=\"instance\"", "id=\"event\"", "id=\"flame\"", "id=\"matched\""}) {
            assertTrue(html.contains(id), id);
        }
        assertEquals(2, count(html, "<script"), "one data element and one inline script");
        assertFalse(html.contains("{{"), "unfilled placeholder");
    }

    @Test
    void initialSelectionFollowsTheOptions() throws IOException {
        Profile p = fixture();
        Map<?, ?> data = (Map<?, ?>) new Json(embeddedJson(html(p, new WriteOptions("t", EventType.ALLOC, 1)))).parse();
        assertEquals(Map.of("event", 1L, "instance", 1L), data.get("initial"));
        data = (Map<?, ?>) new Json(embeddedJson(html(p, WriteOptions.defaults()))).parse();
        assertEquals(Map.of("event", 0L, "instance", -1L), data.get("initial"));
    }

    @Test
    void linesAndKindsAreKeptPerFrame() throws IOException {
        Profile p = new Profile();
        p.addInstance(InstanceInfo.newBuilder().setService("s").build());
        int a = p.frame("A.run", FrameKind.JAVA, 12);
        int b = p.frame("A.run", FrameKind.JAVA, 13);
        int py = p.frame("work", FrameKind.PYTHON, 0);
        p.addSample(new int[] {a, py}, 0, EventType.CPU, 2, 0);
        p.addSample(new int[] {b}, 0, EventType.CPU, 1, 0);
        Map<?, ?> frames = (Map<?, ?>) ((Map<?, ?>) new Json(embeddedJson(html(p, WriteOptions.defaults()))).parse()).get("frames");
        assertEquals(List.of("A.run", "work", "A.run"), frames.get("name"));
        assertEquals(List.of(12L, 0L, 13L), frames.get("line"));
        assertEquals(List.of(1L, 4L, 1L), frames.get("kind"));
        assertEquals(List.of(0L, 0L, 0L), frames.get("type"));
    }

    @Test
    void typesAndLossesReachThePage() throws IOException {
        Map<?, ?> data = (Map<?, ?>) new Json(embeddedJson(html(fixture(), WriteOptions.defaults()))).parse();
        Map<?, ?> frames = (Map<?, ?>) data.get("frames");
        Map<Object, Object> typeOf = new TreeMap<>();
        for (int f = 0; f < ((List<?>) frames.get("name")).size(); f++) {
            typeOf.put(((List<?>) frames.get("name")).get(f), ((List<?>) frames.get("type")).get(f));
        }
        assertEquals(1L, typeOf.get("Server.handle"));
        assertEquals(2L, typeOf.get(ANGLE));
        assertEquals(3L, typeOf.get("Checkout.pay"));
        assertEquals(4L, typeOf.get(UNICODE));
        assertEquals(5L, typeOf.get(SEMI));
        assertEquals(0L, typeOf.get("main"));
        assertEquals(Map.of("bufferFull", 3L, "unwalkable", 7L, "other", 2L), ((Map<?, ?>) data.get("meta")).get("dropped"));
    }

    @Test
    void emptyProfileWritesAPage() throws IOException {
        String html = html(new Profile(), WriteOptions.defaults());
        @SuppressWarnings("unchecked")
        Map<String, Object> data = (Map<String, Object>) new Json(embeddedJson(html)).parse();
        assertEquals(List.of(), ((Map<?, ?>) data.get("nodes")).get("depth"));
        assertEquals(List.of(), data.get("events"));
    }

    @Test
    void deepStacksDoNotOverflow() throws IOException {
        Profile p = new Profile();
        p.addInstance(InstanceInfo.newBuilder().setService("deep").build());
        int[] stack = new int[20_000];
        for (int i = 0; i < stack.length; i++) {
            stack[i] = p.frame("f" + (i % 7), FrameKind.JAVA, 0);
        }
        p.addSample(stack, 0, EventType.CPU, 1, 0);
        String html = html(p, WriteOptions.defaults());
        assertTrue(html.length() > 20_000);
        ByteArrayOutputStream svg = new ByteArrayOutputStream();
        Format.SVG.write(p, svg, WriteOptions.defaults());
        assertTrue(svg.size() > 0);
    }

    /** Stack (names joined by NUL) → value, from the model. */
    static Map<String, Long> expectedStacks(Profile p, EventType e, int inst) {
        Map<String, Long> out = new TreeMap<>();
        FlameView.of(p, e, inst).forEachStack((frames, depth, node, value) -> {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < depth; i++) {
                sb.append(p.frameName(frames[i])).append('\0');
            }
            out.merge(sb.toString(), value, Long::sum);
        });
        return out;
    }

    /** The same, decoded from the embedded data the way flame-data.js does it. */
    @SuppressWarnings("unchecked")
    static Map<String, Long> decodedStacks(Map<String, Object> data, String event, int inst) {
        List<Object> names = (List<Object>) ((Map<String, Object>) data.get("frames")).get("name");
        Map<String, Object> nodes = (Map<String, Object>) data.get("nodes");
        List<Object> depths = (List<Object>) nodes.get("depth");
        List<Object> frames = (List<Object>) nodes.get("frame");
        int n = depths.size() + 1;
        String[] path = new String[n];
        path[0] = "";
        List<Integer> last = new ArrayList<>(List.of(0));
        for (int i = 1; i < n; i++) {
            int d = ((Number) depths.get(i - 1)).intValue();
            while (last.size() <= d) {
                last.add(0);
            }
            int parent = last.get(d - 1);
            last.set(d, i);
            path[i] = path[parent] + names.get(((Number) frames.get(i - 1)).intValue()) + "\0";
        }
        Map<String, Long> out = new TreeMap<>();
        for (Object eo : (List<Object>) data.get("events")) {
            Map<String, Object> ev = (Map<String, Object>) eo;
            if (!ev.get("name").equals(event)) {
                continue;
            }
            List<Object> selfs = (List<Object>) ev.get("self");
            for (int i = 0; i < selfs.size(); i++) {
                if (inst >= 0 && inst != i) {
                    continue;
                }
                Map<String, Object> s = (Map<String, Object>) selfs.get(i);
                List<Object> ns = (List<Object>) s.get("n");
                List<Object> vs = (List<Object>) s.get("v");
                int node = 0;
                for (int k = 0; k < ns.size(); k++) {
                    node += ((Number) ns.get(k)).intValue();
                    out.merge(path[node], ((Number) vs.get(k)).longValue(), Long::sum);
                }
            }
        }
        return out;
    }

    static int count(String s, String part) {
        int c = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
            c++;
        }
        return c;
    }

    /** A minimal JSON parser for the tests (objects, arrays, strings, numbers, literals). */
    static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object parse() {
            Object v = value();
            ws();
            if (i != s.length()) {
                throw new IllegalArgumentException("trailing data at " + i);
            }
            return v;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private Object value() {
            ws();
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                ws();
                if (s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                while (true) {
                    ws();
                    String k = string();
                    ws();
                    expect(':');
                    m.put(k, value());
                    ws();
                    if (s.charAt(i++) == '}') {
                        return m;
                    }
                }
            }
            if (c == '[') {
                i++;
                List<Object> l = new ArrayList<>();
                ws();
                if (s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                while (true) {
                    l.add(value());
                    ws();
                    if (s.charAt(i++) == ']') {
                        return l;
                    }
                }
            }
            if (c == '"') {
                return string();
            }
            if (s.startsWith("true", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("false", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            if (s.startsWith("null", i)) {
                i += 4;
                return null;
            }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            String num = s.substring(start, i);
            return num.contains(".") || num.contains("e") || num.contains("E") ? (Object) Double.parseDouble(num) : (Object) Long.parseLong(num);
        }

        private void expect(char c) {
            if (s.charAt(i++) != c) {
                throw new IllegalArgumentException("expected " + c + " at " + (i - 1));
            }
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw new IllegalArgumentException("raw control character in a string at " + (i - 1));
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> sb.append(e);
                }
            }
        }
    }
}
