package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.IOException;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class DiffTest {
    static final double EPS = 1e-9;

    /** BASE: 100 samples. x 30/30, a 20/50, b 50/50 (self/total %). */
    static final String BASE = "main;a;x 30\nmain;a 20\nmain;b 50\n";
    /** NEW: 200 samples. x 40/40, a 10/50, b 30/30, c 20/20 (new). */
    static final String NEW = "main;a;x 80\nmain;a 20\nmain;b 60\nmain;c 40\n";

    static Diff diff(String base, String next) throws IOException {
        return Diff.of(CollapsedFormatTest.read(base), CollapsedFormatTest.read(next), EventType.CPU);
    }

    static void assertRow(Diff d, String method, double bSelf, double nSelf, double bTotal, double nTotal) {
        Diff.Row r = d.row(method).orElseThrow(() -> new AssertionError("no row " + method));
        assertEquals(bSelf, r.baseSelf(), EPS, method + " base self");
        assertEquals(nSelf, r.newSelf(), EPS, method + " new self");
        assertEquals(bTotal, r.baseTotal(), EPS, method + " base total");
        assertEquals(nTotal, r.newTotal(), EPS, method + " new total");
        assertEquals(nSelf - bSelf, r.deltaSelf(), EPS);
        assertEquals(nTotal - bTotal, r.deltaTotal(), EPS);
    }

    @Test
    void sharesAndDeltasInPercentagePoints() throws IOException {
        Diff d = diff(BASE, NEW);
        assertEquals(100, d.baseTotal());
        assertEquals(200, d.newTotal());
        assertEquals(100.0, d.totalChangePercent(), EPS);
        assertRow(d, "x", 30, 40, 30, 40);
        assertRow(d, "a", 20, 10, 50, 50);
        assertRow(d, "b", 50, 30, 50, 30);
        assertRow(d, "c", 0, 20, 0, 20);
        assertRow(d, "main", 0, 0, 100, 100);
        assertTrue(d.row("c").orElseThrow().isNew());
        assertFalse(d.row("x").orElseThrow().isNew());
        // Largest change first, ties by name; unchanged main is left out of the table.
        assertEquals(List.of("b", "c", "a", "x"), d.top(20).stream().map(Diff.Row::method).collect(Collectors.toList()));
        assertEquals(List.of("b", "c"), d.top(2).stream().map(Diff.Row::method).collect(Collectors.toList()));
        assertEquals(5, d.rows().size());
    }

    @Test
    void recursionCountsATotalOnce() throws IOException {
        Diff d = diff("main;f;g;f 10\nmain;f 10\nmain;h 20\n", "main;h 1\n");
        assertRow(d, "f", 50, 0, 50, 0);   // self of both f nodes; total: the outer f only
        assertRow(d, "g", 0, 0, 25, 0);
        assertRow(d, "h", 50, 100, 50, 100);
        assertRow(d, "main", 0, 0, 100, 100);
    }

    @Test
    void identicalProfilesHaveNoChanges() throws IOException {
        Diff d = diff(BASE, BASE.replace(" 30", " 60").replace(" 20", " 40").replace(" 50", " 100"));
        assertEquals(0, d.totalChangePercent() - 100, EPS);
        assertEquals(List.of(), d.top(0));
    }

    @Test
    void framesDifferingOnlyInLineOrKindAreOneMethodAndOnePath() {
        Profile base = new Profile();
        int i = base.addInstance(InstanceInfo.getDefaultInstance());
        int main = base.frame("main", FrameKind.JAVA, 0);
        base.addSample(new int[] {main, base.frame("x", FrameKind.JAVA, 10)}, i, EventType.CPU, 1, 0);
        base.addSample(new int[] {main, base.frame("x", FrameKind.JAVA, 12)}, i, EventType.CPU, 1, 0);
        base.addSample(new int[] {main, base.frame("y", FrameKind.JAVA, 0)}, i, EventType.CPU, 2, 0);
        Profile next = new Profile();
        int j = next.addInstance(InstanceInfo.getDefaultInstance());
        next.addSample(new int[] {next.frame("main", FrameKind.JAVA, 0), next.frame("x", FrameKind.NATIVE, 0)}, j, EventType.CPU, 3, 0);
        next.addSample(new int[] {next.frame("main", FrameKind.JAVA, 0), next.frame("y", FrameKind.JAVA, 0)}, j, EventType.CPU, 1, 0);
        Diff d = Diff.of(base, next, EventType.CPU);
        assertRow(d, "x", 50, 75, 50, 75);
        assertRow(d, "y", 50, 25, 50, 25);
        assertEquals(4, d.nodeCount(), "root, main, x, y");
    }

    @Test
    void allocIsMeasuredByWeightAndOtherEventsStayOut() {
        Profile base = new Profile();
        int i = base.addInstance(InstanceInfo.getDefaultInstance());
        int main = base.frame("main", FrameKind.JAVA, 0);
        int big = base.frame("Big.alloc", FrameKind.JAVA, 0);
        int small = base.frame("Small.alloc", FrameKind.JAVA, 0);
        base.addSample(new int[] {main, big}, i, EventType.ALLOC, 1, 3000);
        base.addSample(new int[] {main, small}, i, EventType.ALLOC, 9, 1000);
        base.addSample(new int[] {main, base.frame("Cpu.only", FrameKind.JAVA, 0)}, i, EventType.CPU, 100, 0);
        Profile next = new Profile();
        int j = next.addInstance(InstanceInfo.getDefaultInstance());
        next.addSample(new int[] {next.frame("main", FrameKind.JAVA, 0), next.frame("Big.alloc", FrameKind.JAVA, 0)}, j, EventType.ALLOC, 1, 1000);
        next.addSample(new int[] {next.frame("main", FrameKind.JAVA, 0), next.frame("Small.alloc", FrameKind.JAVA, 0)}, j, EventType.ALLOC, 1, 1000);
        Diff d = Diff.of(base, next, EventType.ALLOC);
        assertEquals(4000, d.baseTotal());
        assertEquals(2000, d.newTotal());
        assertRow(d, "Big.alloc", 75, 50, 75, 50);
        assertRow(d, "Small.alloc", 25, 50, 25, 50);
        assertTrue(d.row("Cpu.only").isEmpty());
    }

    @Test
    void emptyBaseMakesEverythingNew() throws IOException {
        Diff d = diff("", "main;a 3\n");
        assertEquals(Double.POSITIVE_INFINITY, d.totalChangePercent());
        assertRow(d, "a", 0, 100, 0, 100);
        assertTrue(d.row("a").orElseThrow().isNew());
    }

    @Test
    void deltaForTheHtmlPageSumsToTheTotalChange() throws IOException {
        // b vanished in NEW: its negative change goes to its parent a, so a's subtree sums right.
        Profile base = CollapsedFormatTest.read("main;a;b 50\nmain;a;c 50\n");
        Profile next = CollapsedFormatTest.read("main;a;c 100\n");
        Diff d = Diff.of(base, next, EventType.CPU);
        double[] delta = d.newNodeDelta(next);
        double a = 0;
        double c = 0;
        for (int node = 1; node < next.tree.size(); node++) {
            String name = next.frameName(next.tree.frame(node));
            if (name.equals("a")) {
                a = delta[node];
            } else if (name.equals("c")) {
                c = delta[node];
            }
        }
        assertEquals(50, c, EPS, "c grew 50pp of 100 samples");
        assertEquals(-50, a, EPS, "b's loss lands on a");
    }
}
