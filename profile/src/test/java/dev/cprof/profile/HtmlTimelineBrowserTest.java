package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.FrameType;
import dev.cprof.wire.proto.InstanceInfo;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The heat map of the HTML flame graph in a real headless Chromium (src/test/browser/heatmap-test.js):
 * a row per instance, a drag over the second phase of a workload that switches from method A
 * to method B redraws the flame graph with B on top, a click on a row picks its instance, the
 * search reports its share, the page redraws at a new width; target/heatmap.png shows it. A
 * page over its size cap says its buckets were coarsened (target/heatmap-capped.png).
 */
class HtmlTimelineBrowserTest {
    static final String PHASE_A = "PhaseA.compute";
    static final String PHASE_B = "PhaseB.compute";
    /** 20 buckets of 1 s from 12:03:00 UTC; phase B from bucket 10 on. */
    static final long START_NS = Instant.parse("2026-12-04T12:03:00Z").toEpochMilli() * 1_000_000L;
    static final long BUCKET_NS = 1_000_000_000L;
    static final int COUNT = 20;
    static final int SPLIT = 10;
    static final String TITLE = "checkout: A, then B";

    /**
     * Three instances of a service whose workers run A for 10 s, then B for 10 s, in 1 s buckets:
     * host-a and host-b both phases, host-c (started late) only B; a little polling and GC in
     * every instance, and allocations in both phases.
     */
    static Profile phaseFixture() {
        Profile p = new Profile();
        p.keepTime(BUCKET_NS);
        int[] inst = {
            p.addInstance(InstanceInfo.newBuilder().setInstanceId(1).setHost("host-a").setPid(101).setService("checkout").build()),
            p.addInstance(InstanceInfo.newBuilder().setInstanceId(2).setHost("host-b").setPid(202).setService("checkout").build()),
            p.addInstance(InstanceInfo.newBuilder().setInstanceId(3).setHost("host-c").setPid(303).setService("checkout").build()),
        };
        int main = p.frame("main", FrameKind.JAVA, FrameType.INTERPRETED, 0);
        int worker = p.frame("Worker.run", FrameKind.JAVA, FrameType.JIT_COMPILED, 0);
        int a = p.frame(PHASE_A, FrameKind.JAVA, FrameType.JIT_COMPILED, 0);
        int aInner = p.frame("PhaseA.inner", FrameKind.JAVA, FrameType.INLINED, 0);
        int b = p.frame(PHASE_B, FrameKind.JAVA, FrameType.JIT_COMPILED, 0);
        int bInner = p.frame("PhaseB.inner", FrameKind.JAVA, FrameType.C1_COMPILED, 0);
        int memcpy = p.frame("__memmove_avx_unaligned", FrameKind.NATIVE, 0);
        int poll = p.frame("Common.poll", FrameKind.JAVA, FrameType.JIT_COMPILED, 0);
        int gc = p.frame("[gc]", FrameKind.PSEUDO, 0);
        int vm = p.frame("G1YoungCollector::collect", FrameKind.NATIVE, 0);
        EventType cpu = EventType.CPU;
        for (int bucket = 0; bucket < COUNT; bucket++) {
            // Mid-bucket, as a batch stamped at its flush would be.
            long t = START_NS + bucket * BUCKET_NS + BUCKET_NS / 2;
            boolean phaseB = bucket >= SPLIT;
            for (int i = 0; i < 2; i++) {
                if (phaseB) {
                    add(p, t, inst[i], cpu, 15, 0, main, worker, b);
                    add(p, t, inst[i], cpu, 12, 0, main, worker, b, bInner);
                    add(p, t, inst[i], cpu, 3, 0, main, worker, b, bInner, memcpy);
                    add(p, t, inst[i], EventType.ALLOC, 1, 200_000, main, worker, b, bInner);
                } else {
                    add(p, t, inst[i], cpu, 20 + 2 * i + bucket % 3, 0, main, worker, a);
                    add(p, t, inst[i], cpu, 10, 0, main, worker, a, aInner);
                    add(p, t, inst[i], EventType.ALLOC, 1, 1_000_000, main, worker, a);
                }
                add(p, t, inst[i], cpu, 1, 0, main, poll);
                add(p, t, inst[i], cpu, 1, 0, gc, vm);
            }
            if (phaseB) {
                add(p, t, inst[2], cpu, 20 + bucket % 4, 0, main, worker, b);
                add(p, t, inst[2], cpu, 6, 0, main, worker, b, bInner);
                add(p, t, inst[2], cpu, 1, 0, main, poll);
            }
        }
        p.coverTime(START_NS, START_NS + COUNT * BUCKET_NS);
        return p;
    }

    private static void add(Profile p, long timeNs, int instance, EventType event, long count, long weight, int... stack) {
        p.addValueAt(p.tree.insert(StackTree.ROOT, stack, stack.length), instance, event, count, weight, timeNs);
    }

    @Test
    void heatMapSelectsRangesAndInstances() throws Exception {
        Profile p = phaseFixture();
        int[] drag = {SPLIT + 1, COUNT - 2};
        DateTimeFormatter clock = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);
        String rangeText = "Range: " + clock.format(Instant.ofEpochSecond(0, START_NS + drag[0] * BUCKET_NS)) + " \u2013 "
                + clock.format(Instant.ofEpochSecond(0, START_NS + (drag[1] + 1) * BUCKET_NS)) + " UTC ("
                + (drag[1] - drag[0] + 1) + " s)";
        String spec = spec(p, "null") + ",\"phaseA\":" + Json.string(PHASE_A) + ",\"phaseB\":" + Json.string(PHASE_B)
                + ",\"path\":[\"main\",\"Worker.run\"," + Json.string(PHASE_B) + "]"
                + ",\"drag\":[" + drag[0] + "," + drag[1] + "],\"rangeText\":" + Json.string(rangeText)
                + ",\"allocEvent\":" + p.events().indexOf(EventType.ALLOC) + "}";
        HtmlBrowserTest.check("heatmap-test.js", "heatmap-browser-test.html", "heatmap.png",
                out -> Format.HTML.write(p, out, WriteOptions.defaults().withTitle(TITLE)), spec, 10_000);
    }

    /** A page over its size cap has coarser buckets, and says so. */
    @Test
    @SuppressWarnings("unchecked")
    void cappedPageSaysSo() throws Exception {
        Profile p = phaseFixture();
        // Well under the full page (whose own cap, written in it, is longer than this one).
        long cap = HtmlWriterTest.html(p, WriteOptions.defaults().withTitle(TITLE)).getBytes(StandardCharsets.UTF_8).length - 400;
        WriteOptions options = WriteOptions.defaults().withTitle(TITLE).withHtmlMax(cap);
        Map<String, Object> timeline = (Map<String, Object>) ((Map<String, Object>) new HtmlWriterTest.Json(
                HtmlWriterTest.embeddedJson(HtmlWriterTest.html(p, options))).parse()).get("timeline");
        long bucketNs = ((Number) timeline.get("bucketNs")).longValue();
        assertEquals(true, timeline.get("capped"));
        assertTrue(bucketNs >= 2 * BUCKET_NS && bucketNs % 1_000_000_000L == 0, "coarser whole-second buckets: " + bucketNs);
        String note = "capped: buckets coarsened to " + bucketNs / 1_000_000_000L + " s to keep the file under "
                + String.format(Locale.ROOT, "%,d", cap) + " bytes";
        HtmlBrowserTest.check("heatmap-test.js", "heatmap-capped-test.html", "heatmap-capped.png",
                out -> Format.HTML.write(p, out, options), spec(p, Json.string(note)) + ",\"onlyMap\":true}", 5_000);
    }

    /** The start of a spec (without its closing brace): what both tests check of the map. */
    private static String spec(Profile p, String cappedJson) {
        StringBuilder instances = new StringBuilder();
        for (String l : p.instances().stream().map(Profile::instanceLabel).toList()) {
            instances.append(instances.length() == 0 ? "" : ",").append(Json.string(l));
        }
        return "{\"instances\":[" + instances + "],\"total\":" + p.total(EventType.CPU, -1) + ",\"late\":2,\"capped\":" + cappedJson;
    }
}
