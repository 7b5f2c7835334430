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

    /** Tooltip of every frame: first line the name, the rest value and share. */
    static List<String[]> frames(Document d) {
        List<String[]> out = new ArrayList<>();
        NodeList groups = d.getElementsByTagNameNS("http://www.w3.org/2000/svg", "g");
        for (int i = 0; i < groups.getLength(); i++) {
            Element g = (Element) groups.item(i);
            String title = g.getElementsByTagNameNS("http://www.w3.org/2000/svg", "title").item(0).getTextContent();
            Element rect = (Element) g.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect").item(0);
            int nl = title.indexOf('\n');
            out.add(new String[] {title.substring(0, nl), title.substring(nl + 1), rect.getAttribute("width"), rect.getAttribute("fill"),
                rect.getAttribute("x"), rect.getAttribute("y")});
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

    @Test
    void coloursFollowTheFrameKind() throws Exception {
        List<String[]> frames = frames(svg(HtmlWriterTest.fixture(), WriteOptions.defaults()));
        assertTrue(green(named(frames, "Checkout.pay")[3]), "java is green");
        assertTrue(orange(named(frames, HtmlWriterTest.SEMI)[3]), "native is orange/red");
        assertTrue(orange(named(frames, "do_syscall_64")[3]), "kernel is orange/red");
        int[] py = rgb(named(frames, HtmlWriterTest.QUOTED)[3]);
        assertTrue(py[2] > py[0] && py[2] > py[1], "python is blue");
        int[] gc = rgb(named(frames, "[gc]")[3]);
        assertTrue(gc[0] == gc[1] && gc[1] == gc[2], "pseudo is grey");
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

    private static boolean green(String fill) {
        int[] c = rgb(fill);
        return c[1] > c[0] + 60 && c[1] > c[2] + 60;
    }

    private static boolean orange(String fill) {
        int[] c = rgb(fill);
        return c[0] > 200 && c[0] > c[1] + 40 && c[0] > c[2] + 100;
    }

}
