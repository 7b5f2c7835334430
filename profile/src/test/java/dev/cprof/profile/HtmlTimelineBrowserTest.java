package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.FrameType;
import dev.cprof.wire.proto.InstanceInfo;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The heat map of the HTML flame graph in a real headless Chromium (src/test/browser/heatmap-test.js):
 * a row per instance, a drag over the second phase of a workload that switches from method A
 * to method B redraws the flame graph with B on top, a click on a row picks its instance, the
 * search reports its share, the page redraws at a new width; target/heatmap.png shows it.
 */
class HtmlTimelineBrowserTest {
    static final String PHASE_A = "PhaseA.compute";
    static final String PHASE_B = "PhaseB.compute";
    /** 20 buckets of 1 s from 12:03:00 UTC; phase B from bucket 10 on. */
    static final long START_NS = Instant.parse("2026-12-04T12:03:00Z").toEpochMilli() * 1_000_000L;
    static final long BUCKET_NS = 1_000_000_000L;
    static final int COUNT = 20;
    static final int SPLIT = 10;

    /**
     * Three instances of a service whose workers run A, then B: host-a and host-b both phases,
     * host-c (started late) only B; a little polling and GC in every instance, and allocations
     * in both phases. CPU totals 1,560 samples.
     */
    static Profile phaseFixture() {
        Profile p = new Profile();
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
        for (int i = 0; i < 2; i++) {
            p.addSample(new int[] {main, worker, a}, inst[i], cpu, 200 + 20 * i, 0);
            p.addSample(new int[] {main, worker, a, aInner}, inst[i], cpu, 100, 0);
            p.addSample(new int[] {main, worker, b}, inst[i], cpu, 150, 0);
            p.addSample(new int[] {main, worker, b, bInner}, inst[i], cpu, 120, 0);
            p.addSample(new int[] {main, worker, b, bInner, memcpy}, inst[i], cpu, 30, 0);
            p.addSample(new int[] {main, poll}, inst[i], cpu, 20, 0);
            p.addSample(new int[] {gc, vm}, inst[i], cpu, 20, 0);
            p.addSample(new int[] {main, worker, a}, inst[i], EventType.ALLOC, 10, 10_000_000);
            p.addSample(new int[] {main, worker, b, bInner}, inst[i], EventType.ALLOC, 5, 2_000_000);
        }
        p.addSample(new int[] {main, worker, b}, inst[2], cpu, 200, 0);
        p.addSample(new int[] {main, worker, b, bInner}, inst[2], cpu, 60, 0);
        p.addSample(new int[] {main, poll}, inst[2], cpu, 20, 0);
        p.coverTime(START_NS, START_NS + COUNT * BUCKET_NS);
        return p;
    }

    @Test
    void heatMapSelectsRangesAndInstances() throws Exception {
        Profile p = phaseFixture();
        List<String> labels = p.instances().stream().map(Profile::instanceLabel).toList();
        int[] drag = {SPLIT + 1, COUNT - 2};
        DateTimeFormatter clock = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);
        String rangeText = "Range: " + clock.format(Instant.ofEpochSecond(0, START_NS + drag[0] * BUCKET_NS)) + " \u2013 "
                + clock.format(Instant.ofEpochSecond(0, START_NS + (drag[1] + 1) * BUCKET_NS)) + " UTC ("
                + (drag[1] - drag[0] + 1) + " s)";
        StringBuilder instances = new StringBuilder();
        for (String l : labels) {
            instances.append(instances.length() == 0 ? "" : ",").append(Json.string(l));
        }
        String inject = "{\"startNs\":" + START_NS + ",\"bucketNs\":" + BUCKET_NS + ",\"count\":" + COUNT + ",\"split\":" + SPLIT
                + ",\"phaseA\":\"PhaseA\",\"phaseB\":\"PhaseB\",\"capped\":true,\"capBytes\":" + (10 << 20) + "}";
        String spec = "{\"inject\":" + inject + ",\"instances\":[" + instances + "],\"total\":" + p.total(EventType.CPU, -1)
                + ",\"phaseA\":" + Json.string(PHASE_A) + ",\"phaseB\":" + Json.string(PHASE_B)
                + ",\"path\":[\"main\",\"Worker.run\"," + Json.string(PHASE_B) + "],\"late\":2"
                + ",\"drag\":[" + drag[0] + "," + drag[1] + "],\"rangeText\":" + Json.string(rangeText)
                + ",\"capped\":\"capped: buckets coarsened to 1 s to keep the file under 10 MB\""
                + ",\"allocEvent\":" + p.events().indexOf(EventType.ALLOC) + "}";
        HtmlBrowserTest.check("heatmap-test.js", "heatmap-browser-test.html", "heatmap.png",
                out -> Format.HTML.write(p, out, WriteOptions.defaults().withTitle("checkout: A, then B")), spec, 10_000);
    }
}
