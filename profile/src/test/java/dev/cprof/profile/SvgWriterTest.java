package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.EventType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class SvgWriterTest {

    static Document svg(Profile p, WriteOptions o) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Format.SVG.write(p, out, o);
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(out.toByteArray()));
    }

    /**
     * Every frame: {name, value and share (the tooltip's other lines), width, fill, x, y, type}
     * where type is the tooltip's last line "type: ..." (taken out of the value), or "".
     */
    static List<String[]> frames(Document d) {
        List<String[]> out = new ArrayList<>();
        NodeList groups = d.getElementsByTagNameNS("http://www.w3.org/2000/svg", "g");
        for (int i = 0; i < groups.getLength(); i++) {
            Element g = (Element) groups.item(i);
            String title = g.getElementsByTagNameNS("http://www.w3.org/2000/svg", "title").item(0).getTextContent();
            Element rect = (Element) g.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect").item(0);
            int nl = title.indexOf('\n');
            int type = title.lastIndexOf("\ntype: ");
            String value = type > nl ? title.substring(nl + 1, type) : title.substring(nl + 1);
            out.add(new String[] {title.substring(0, nl), value, rect.getAttribute("width"), rect.getAttribute("fill"),
                rect.getAttribute("x"), rect.getAttribute("y"), type > nl ? title.substring(type + 7) : ""});
        }
        return out;
    }

    static String[] named(List<String[]> frames, String name) {
        return frames.stream().filter(f -> f[0].equals(name)).findFirst().orElseThrow(() -> new AssertionError("no frame " + name));
    }

    @Test
    void trickyNamesRoundTripThroughXml() throws Exception {
        Document d = svg(HtmlWriterTest.fixture(), WriteOptions.defaults().withTitle("a & <b>"));
        assertEquals("svg", d.getDocumentElement().getLocalName());
        List<String[]> frames = frames(d);
        for (String name : HtmlWriterTest.TRICKY) {
            named(frames, name);
        }
        String[] all = named(frames, "all");
        assertEquals("100 samples, 100.00% of total", all[1]);
        assertEquals("1180", all[2], "the root spans the chart");
        assertEquals("25 samples, 25.00% of total", named(frames, "Json.parse")[1]);
        assertEquals("40 samples, 40.00% of total; self 40, 40.00%", named(frames, HtmlWriterTest.UNICODE)[1]);
        for (String[] f : frames) {
            double x = Double.parseDouble(f[4]);
            double w = Double.parseDouble(f[2]);
            assertTrue(x >= 10 && x + w <= 1190.01, "frame inside the chart: " + f[0] + " x=" + x + " w=" + w);
        }
        // Children sit on their parent, left to right in name order, root at the bottom.
        String[] server = named(frames, "Server.handle");
        String[] pay = named(frames, "Checkout.pay");
        String[] json = named(frames, "Json.parse");
        assertEquals(server[4], pay[4]);
        assertEquals(Double.parseDouble(pay[4]) + Double.parseDouble(pay[2]), Double.parseDouble(json[4]), 0.01);
        assertEquals(Double.parseDouble(server[5]) - 16, Double.parseDouble(pay[5]), 0.01);
        assertEquals("a & <b>", d.getElementsByTagNameNS("http://www.w3.org/2000/svg", "title").item(0).getTextContent());
    }

    /**
     * async-profiler's palette: every frame's fill lies in its type's range (base colour plus up
     * to the range, per channel), and its tooltip names the type.
     */
    @Test
    void coloursAndTooltipsFollowTheFrameType() throws Exception {
        List<String[]> frames = frames(svg(HtmlWriterTest.fixture(), WriteOptions.defaults()));
        String[][] expected = {
            {"Server.handle", "Interpreted", "Java, interpreted"},
            {HtmlWriterTest.ANGLE, "Java compiled by C1", "Java, compiled by C1"},
            {"Checkout.pay", "Java compiled", "Java, JIT compiled"},
            {"main", "Java compiled", "Java"},
            {HtmlWriterTest.UNICODE, "Inlined", "Java, inlined"},
            {"os::malloc", "C++ (VM)", "native"},
            {HtmlWriterTest.SEMI, "Native", "native, JVM stub"},
            {"do_syscall_64", "Kernel", "kernel"},
            {HtmlWriterTest.QUOTED, "Python", "Python"},
            {"[gc]", "Pseudo frame", "pseudo frame"},
        };
        for (String[] e : expected) {
            String[] f = named(frames, e[0]);
            FlamePalette.Category c = java.util.Arrays.stream(FlamePalette.Category.values()).filter(x -> x.legend.equals(e[1])).findFirst().orElseThrow();
            int[] rgb = rgb(f[3]);
            int[] base = {c.base >> 16, (c.base >> 8) & 0xff, c.base & 0xff};
            for (int i = 0; i < 3; i++) {
                assertTrue(rgb[i] >= base[i] && rgb[i] <= base[i] + c.range[i], e[0] + " is " + f[3] + ", not " + e[1]);
            }
            assertEquals(e[2], f[6], "tooltip type of " + e[0]);
        }
        assertEquals(0x50e150, FlamePalette.Category.JIT.base, "async-profiler's green for JIT-compiled Java");
        assertEquals(0x50cccc, FlamePalette.Category.INLINED.base, "its aqua for inlined");
        assertEquals(0xe17d00, FlamePalette.Category.KERNEL.base, "its orange for the kernel");
    }

    @Test
    void oneInstanceAndOneEvent() throws Exception {
        Profile p = HtmlWriterTest.fixture();
        List<String[]> frames = frames(svg(p, new WriteOptions("t", EventType.CPU, 1)));
        assertEquals("35 samples, 100.00% of total", named(frames, "all")[1]);
        assertTrue(frames.stream().noneMatch(f -> f[0].equals(HtmlWriterTest.ANGLE)), "instance 0 only frame left out");
        frames = frames(svg(p, new WriteOptions("t", EventType.ALLOC, -1)));
        assertEquals("4,000,000 bytes, 100.00% of total", named(frames, "all")[1]);
        assertEquals("3,000,000 bytes, 75.00% of total; self 3,000,000, 75.00%", named(frames, HtmlWriterTest.UNICODE)[1]);
    }

    @Test
    void labelsAreCutToFit() {
        assertEquals("", SvgWriter.fit("Checkout.pay", 10));
        assertEquals("Checkout.pay", SvgWriter.fit("Checkout.pay", 200));
        String cut = SvgWriter.fit("com.example.VeryLongClassName.method", 100);
        assertTrue(cut.endsWith("..") && cut.length() < 20, cut);
        assertEquals("a\ufffdb &amp; &lt;", SvgWriter.xml("a\u0001b & <"));
    }

    @Test
    void emptyProfileIsValidSvg() throws Exception {
        Document d = svg(new Profile(), WriteOptions.defaults());
        assertEquals(0, frames(d).size());
    }

    private static int[] rgb(String fill) {
        String[] parts = fill.substring(4, fill.length() - 1).split(",");
        return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2])};
    }


}
