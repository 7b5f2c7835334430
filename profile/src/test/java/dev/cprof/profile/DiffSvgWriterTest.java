package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class DiffSvgWriterTest {

    static Document svg(Diff d, String title) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DiffSvgWriter.write(d, out, title);
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(out.toByteArray()));
    }

    @Test
    void validXmlWithWidthsFromNewAndColoursByChange() throws Exception {
        // Total shares: x +10pp, a ±0 (its self fell 10pp, its callee x rose 10pp), b −20pp, c new;
        // the largest change (20pp) is full colour.
        Document doc = svg(DiffTest.diff(DiffTest.BASE, DiffTest.NEW), "before & <after>");
        assertEquals("svg", doc.getDocumentElement().getLocalName());
        assertEquals("before & <after>", doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "title").item(0).getTextContent());
        List<String[]> frames = SvgWriterTest.frames(doc);
        assertEquals(6, frames.size(), "all, main, a, x, b, c");
        String[] all = SvgWriterTest.named(frames, "all");
        assertEquals("1180", all[2]);
        assertEquals(DiffSvgWriter.UNCHANGED, all[3]);
        assertEquals(DiffSvgWriter.UNCHANGED, SvgWriterTest.named(frames, "main")[3]);
        assertEquals("236", SvgWriterTest.named(frames, "c")[2], "40 of 200 samples of 1180 px");
        assertEquals("rgb(255,60,60)", SvgWriterTest.named(frames, "c")[3], "new: full red");
        assertEquals("rgb(60,60,255)", SvgWriterTest.named(frames, "b")[3], "shrank most: full blue");
        assertEquals("rgb(255,148,148)", SvgWriterTest.named(frames, "x")[3], "grew half the largest change: light red");
        assertEquals(DiffSvgWriter.UNCHANGED, SvgWriterTest.named(frames, "a")[3], "total share unchanged: grey, though its self shrank");
        assertEquals("new: total 40.00%, self 40.00% (80 samples)\nbase: total 30.00%, self 30.00%\n\u0394 self +10.00pp, \u0394 total +10.00pp",
                SvgWriterTest.named(frames, "x")[1]);
        assertTrue(SvgWriterTest.named(frames, "c")[1].contains("(not in BASE)"));
    }

    @Test
    void smallChangesStayPaleAndTrickyNamesSurvive() throws Exception {
        String weird = "Foo.<init>&\"bar\"'\u00e9";
        Diff d = DiffTest.diff("main;a 500\nmain;b 500\n", "main;a 501\nmain;b 499\nmain;" + weird.replace(";", ":") + " 0\n");
        List<String[]> frames = SvgWriterTest.frames(svg(d, ""));
        // +0.1pp of total share against the 1pp floor: r = 0.1, k = 235 − 17.5 = 217.5, rounded half up to 218 (changes are rounded to 1e-6 pp first)
        assertEquals("rgb(255,218,218)", SvgWriterTest.named(frames, "a")[3]);
        assertEquals("rgb(218,218,255)", SvgWriterTest.named(frames, "b")[3]);

        Diff w = DiffTest.diff("main;a 1\n", "main;a 1\nmain;" + weird + " 1\n");
        List<String[]> wf = SvgWriterTest.frames(svg(w, weird));
        assertEquals(DiffSvgWriter.NEW_FRAME, SvgWriterTest.named(wf, weird)[3]);
    }

    @Test
    void emptyNewIsStillADocument() throws Exception {
        Document doc = svg(DiffTest.diff("main;a 1\n", ""), null);
        assertEquals(0, SvgWriterTest.frames(doc).size());
        assertTrue(doc.getDocumentElement().getTextContent().contains("No samples in NEW"));
    }

    @Test
    void htmlPageHasTheDeltaAndColoursLikeTheSvg() throws Exception {
        Diff d = DiffTest.diff(DiffTest.BASE, DiffTest.NEW);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        HtmlWriter.writeDiff(d, out, "a <b>");
        String html = out.toString(StandardCharsets.UTF_8);
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertTrue(html.contains("<title>a &lt;b&gt;</title>"));
        assertFalse(html.contains("<svg"), "the interactive page, not the SVG");

        // Decode the page's data the way flame-data.js does: subtree sums of the self changes.
        Map<?, ?> data = (Map<?, ?>) new HtmlWriterTest.Json(HtmlWriterTest.embeddedJson(html)).parse();
        List<?> events = (List<?>) data.get("events");
        assertEquals(1, events.size(), "only the compared event");
        Map<?, ?> delta = (Map<?, ?>) ((Map<?, ?>) events.get(0)).get("delta");
        assertEquals(200L, delta.get("total"));
        assertEquals(20L, delta.get("fullPp"), "b's -20pp is the largest change");
        List<?> names = (List<?>) ((Map<?, ?>) data.get("frames")).get("name");
        List<?> depths = (List<?>) ((Map<?, ?>) data.get("nodes")).get("depth");
        List<?> frames = (List<?>) ((Map<?, ?>) data.get("nodes")).get("frame");
        int n = depths.size() + 1;
        int[] parent = new int[n];
        int[] last = new int[n + 1];
        for (int i = 1; i < n; i++) {
            int depth = ((Number) depths.get(i - 1)).intValue();
            parent[i] = last[depth - 1];
            last[depth] = i;
        }
        double[] sum = new double[n];
        int node = 0;
        List<?> dn = (List<?>) delta.get("n");
        List<?> dv = (List<?>) delta.get("v");
        for (int k = 0; k < dn.size(); k++) {
            node += ((Number) dn.get(k)).intValue();
            sum[node] += ((Number) dv.get(k)).doubleValue();
        }
        for (int i = n - 1; i > 0; i--) {
            sum[parent[i]] += sum[i];
        }
        boolean[] fresh = new boolean[n];
        node = 0;
        for (Object f : (List<?>) delta.get("fresh")) {
            node += ((Number) f).intValue();
            fresh[node] = true;
        }
        List<String[]> svgFrames = SvgWriterTest.frames(svg(d, ""));
        Map<String, String> pageColours = new TreeMap<>();
        for (int i = 1; i < n; i++) {
            String name = (String) names.get(((Number) frames.get(i - 1)).intValue());
            double pp = 100 * sum[i] / 200;
            pageColours.put(name, FlamePalette.diffColor(pp, 20, fresh[i]));
            assertEquals(SvgWriterTest.named(svgFrames, name)[3], pageColours.get(name), name + ": page and SVG agree");
        }
        assertEquals(Map.of("main", DiffSvgWriter.UNCHANGED, "a", DiffSvgWriter.UNCHANGED, "x", "rgb(255,148,148)",
                "b", "rgb(60,60,255)", "c", DiffSvgWriter.NEW_FRAME), pageColours);
    }
}
