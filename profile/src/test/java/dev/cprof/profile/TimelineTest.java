package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Time buckets: coarsening, the .cprof format 2 round trip, old files, ranges, and the HTML's timed lists. */
class TimelineTest {
    static final long S = 1_000_000_000L;
    /** 2026-03-01T12:00:00.3Z: a session that does not start on a whole second. */
    static final long T0 = 1_772_366_400_300_000_000L;

    /** Two instances, 3 stacks, cpu and alloc, one batch a second for {@code seconds} s. */
    static Profile session(int seconds, Timeline timeline) {
        Profile p = new Profile();
        p.keepTime(timeline);
        p.addInstance(InstanceInfo.newBuilder().setInstanceId(1).setHost("h1").setPid(1).setService("s").build());
        p.addInstance(InstanceInfo.newBuilder().setInstanceId(2).setHost("h2").setPid(2).setService("s").build());
        int main = p.frame("Main.main", FrameKind.JAVA, 0);
        int[][] stacks = {{main, p.frame("A.a", FrameKind.JAVA, 0)}, {main, p.frame("B.b", FrameKind.JAVA, 0)}, {main}};
        int[] leaves = new int[stacks.length];
        for (int k = 0; k < stacks.length; k++) {
            leaves[k] = p.tree.insert(StackTree.ROOT, stacks[k], stacks[k].length);
        }
        Random r = new Random(7);
        for (int s = 0; s < seconds; s++) {
            long mid = T0 + s * S + S / 2;
            for (int i = 0; i < 2; i++) {
                // A in the first half of the session, B in the second
                int k = s < seconds / 2 ? 0 : 1;
                p.addValueAt(leaves[k], i, EventType.CPU, 90 + r.nextInt(10), 0, mid);
                p.addValueAt(leaves[2], i, EventType.CPU, 1 + r.nextInt(3), 0, mid);
                p.addValueAt(leaves[k], i, EventType.ALLOC, 2, 1000L * (s + 1), mid);
            }
            p.coverTime(T0 + s * S, T0 + (s + 1) * S);
        }
        return p;
    }

    /** Per (instance, event, node): the sum over the timeline's buckets. */
    static Map<String, Long> timedSums(Profile p) {
        Map<String, Long> sums = new HashMap<>();
        Timeline t = p.timeline();
        for (int e = 0; e < t.size(); e++) {
            int s = t.slot(e);
            sums.merge(p.values.instance(s) + "/" + p.values.event(s) + "/" + p.values.node(s), t.count(e), Long::sum);
        }
        return sums;
    }

    static Map<String, Long> aggregate(Profile p) {
        Map<String, Long> sums = new HashMap<>();
        for (int s = 0; s < p.values.size(); s++) {
            sums.merge(p.values.instance(s) + "/" + p.values.event(s) + "/" + p.values.node(s), p.values.count(s), Long::sum);
        }
        return sums;
    }

    @Test
    void bucketsStartOnWholeSecondsAndSumToTheAggregate() {
        Profile p = session(10, new Timeline(S));
        Timeline t = p.timeline();
        assertEquals(T0 - 300_000_000L, t.originNs(), "bucket 0 starts on the whole second");
        assertEquals(10, t.buckets());
        assertEquals(aggregate(p), timedSums(p));
    }

    @Test
    void passingTheBucketCapMergesPairsAndKeepsTheTotals() {
        Profile p = session(100, new Timeline(S, 16, Integer.MAX_VALUE));
        Timeline t = p.timeline();
        assertTrue(t.buckets() <= 16, "at most the cap: " + t.buckets());
        assertEquals(8 * S, t.bucketNs(), "100 s in 16 buckets: 1 s doubled three times");
        assertEquals(0, t.originNs() % t.bucketNs(), "the origin stays a multiple of the width");
        assertEquals(aggregate(p), timedSums(p));
    }

    @Test
    void passingTheEntryCapMergesPairs() {
        Profile p = session(64, new Timeline(S, 1024, 200));
        assertTrue(p.timeline().size() <= 200, "entries " + p.timeline().size());
        assertTrue(p.timeline().bucketNs() > S);
        assertEquals(aggregate(p), timedSums(p));
    }

    @Test
    void anEarlierBatchMovesTheOriginBack() {
        Profile p = session(4, new Timeline(S));
        p.addValueAt(1, 0, EventType.CPU, 5, 0, T0 - 3 * S);
        assertEquals(T0 - 300_000_000L - 3 * S, p.timeline().originNs());
        assertEquals(7, p.timeline().buckets());
        assertEquals(aggregate(p), timedSums(p));
    }

    @Test
    void aClockStepBackKeepsTheSumsAndTheHtmlHasOneEntryPerBucketAndNode() throws IOException {
        Profile p = session(6, new Timeline(S));
        int node = p.values.node(0);
        for (long at : new long[] {T0 + 2 * S, T0 + 4 * S, T0 + 2 * S, T0 + 2 * S}) {
            p.addValueAt(node, 0, EventType.CPU, 1000, 0, at);
        }
        assertEquals(aggregate(p), timedSums(p));
        @SuppressWarnings("unchecked")
        Map<String, Object> data = (Map<String, Object>) new HtmlWriterTest.Json(
                HtmlWriterTest.embeddedJson(HtmlWriterTest.html(p, WriteOptions.defaults()))).parse();
        checkTimedEqualsSelf(data, 6); // nodes strictly ascending within a bucket: duplicates summed
        Profile back = CprofFormatTest.parse(CprofFormatTest.bytes(p));
        assertEquals(aggregate(back), timedSums(back));
        assertEquals(aggregate(p), aggregate(back));
    }

    @Test
    void rebucketNeedsAMultiple() {
        Profile p = session(10, new Timeline(S));
        p.timeline().rebucket(5 * S);
        assertEquals(5 * S, p.timeline().bucketNs());
        assertEquals(aggregate(p), timedSums(p));
        assertThrows(IllegalArgumentException.class, () -> p.timeline().rebucket(7 * S));
    }

    @Test
    void cprofKeepsTheBucketsAndViewsKeepThem() throws IOException {
        Profile p = session(10, new Timeline(S));
        Profile back = CprofFormatTest.parse(CprofFormatTest.bytes(p));
        assertNotNull(back.timeline());
        assertEquals(p.timeline().originNs(), back.timeline().originNs());
        assertEquals(p.timeline().buckets(), back.timeline().buckets());
        assertEquals(p.total(EventType.CPU, 1), back.total(EventType.CPU, 1));
        assertEquals(p.total(EventType.ALLOC, -1), back.total(EventType.ALLOC, -1));
        assertEquals(aggregate(back), timedSums(back));
        Profile perInstance = Views.perInstance(back);
        assertEquals(10, perInstance.timeline().buckets());
        assertEquals(aggregate(perInstance), timedSums(perInstance));
    }

    @Test
    void aFormatOneFileReadsWithoutBuckets() throws IOException {
        try (InputStream in = TimelineTest.class.getResourceAsStream("format-v1.cprof")) {
            Profile p = Format.CPROF.read(in, "format-v1.cprof");
            assertNull(p.timeline(), "format 1 has no buckets");
            assertTrue(p.total(EventType.CPU, -1) > 0);
            assertEquals(1, p.instances().size());
            assertNull(TimeSlices.slice(p, p.startTimeNs(), p.endTimeNs()));
        }
    }

    @Test
    void aFileFromANewerCprofIsRefusedClearly() throws IOException {
        byte[] newer = dev.cprof.wire.Compression.compress(
                dev.cprof.wire.proto.Profile.newBuilder().setFormatVersion(3).addStrings("x").build().toByteArray());
        ProfileFormatException e = assertThrows(ProfileFormatException.class,
                () -> Format.CPROF.read(new ByteArrayInputStream(newer), "next.cprof"));
        assertTrue(e.getMessage().contains("newer cprof") && e.getMessage().contains("version 3"), e.getMessage());
    }

    @Test
    void aSliceHoldsOnlyItsBuckets() {
        Profile p = session(10, new Timeline(S));
        long origin = p.timeline().originNs();
        Profile first = TimeSlices.slice(p, origin, origin + 5 * S);
        Profile second = TimeSlices.slice(p, origin + 5 * S, origin + 20 * S);
        assertEquals(5, first.timeline().buckets());
        assertEquals(origin + 5 * S, second.timeline().originNs());
        assertEquals(p.total(EventType.CPU, -1), first.total(EventType.CPU, -1) + second.total(EventType.CPU, -1));
        assertEquals(p.tree.size(), first.tree.size(), "the same tree, node for node");
        assertTrue(first.total(EventType.CPU, 0) > 0);
        assertNull(TimeSlices.slice(p, origin + 30 * S, origin + 40 * S), "no bucket there");
    }

    @Test
    @SuppressWarnings("unchecked")
    void htmlTimedListsDecodeToTheSelfLists() throws IOException {
        Profile p = session(40, new Timeline(S));
        Map<String, Object> data = (Map<String, Object>) new HtmlWriterTest.Json(
                HtmlWriterTest.embeddedJson(HtmlWriterTest.html(p, WriteOptions.defaults()))).parse();
        Map<String, Object> timeline = (Map<String, Object>) data.get("timeline");
        assertEquals(p.timeline().originNs(), ((Number) timeline.get("startNs")).longValue());
        assertEquals(S, ((Number) timeline.get("bucketNs")).longValue());
        assertEquals(40L, ((Number) timeline.get("count")).longValue());
        assertEquals(false, timeline.get("capped"));
        assertEquals(WriteOptions.DEFAULT_HTML_MAX_BYTES, ((Number) timeline.get("capBytes")).longValue());
        checkTimedEqualsSelf(data, 40);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aSmallCapCoarsensTheHtmlButNotTheProfile() throws IOException {
        Profile p = session(40, new Timeline(S));
        String full = HtmlWriterTest.html(p, WriteOptions.defaults());
        long cap = full.length() - 400;
        String html = HtmlWriterTest.html(p, WriteOptions.defaults().withHtmlMax(cap));
        assertTrue(html.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= cap, "under the cap");
        Map<String, Object> data = (Map<String, Object>) new HtmlWriterTest.Json(HtmlWriterTest.embeddedJson(html)).parse();
        Map<String, Object> timeline = (Map<String, Object>) data.get("timeline");
        assertEquals(true, timeline.get("capped"));
        assertTrue(((Number) timeline.get("bucketNs")).longValue() >= 2 * S);
        assertEquals(S, p.timeline().bucketNs(), "the profile keeps its buckets");
        checkTimedEqualsSelf(data, ((Number) timeline.get("count")).intValue());
    }

    @Test
    void aProfileWithoutBucketsHasNoTimeline() throws IOException {
        String json = HtmlWriterTest.embeddedJson(HtmlWriterTest.html(CprofFormatTest.sample(), WriteOptions.defaults()));
        assertFalse(json.contains("\"timeline\"") || json.contains("\"timed\""));
    }

    /** Decodes every event's timed lists as the contract says and compares the sums with "self". */
    @SuppressWarnings("unchecked")
    static void checkTimedEqualsSelf(Map<String, Object> data, int buckets) {
        int instances = ((List<Object>) data.get("instances")).size();
        for (Object ev : (List<Object>) data.get("events")) {
            Map<String, Object> event = (Map<String, Object>) ev;
            List<Object> self = (List<Object>) event.get("self");
            List<Object> timed = (List<Object>) event.get("timed");
            assertEquals(instances, timed.size());
            for (int i = 0; i < instances; i++) {
                Map<Long, Long> expected = new HashMap<>();
                Map<String, Object> s = (Map<String, Object>) self.get(i);
                long node = 0;
                for (int k = 0; k < ((List<Object>) s.get("n")).size(); k++) {
                    node += (Long) ((List<Object>) s.get("n")).get(k);
                    expected.put(node, (Long) ((List<Object>) s.get("v")).get(k));
                }
                Map<String, Object> t = (Map<String, Object>) timed.get(i);
                List<Object> b = (List<Object>) t.get("b");
                List<Object> n = (List<Object>) t.get("n");
                List<Object> v = (List<Object>) t.get("v");
                assertEquals(b.size(), n.size());
                assertEquals(b.size(), v.size());
                Map<Long, Long> sums = new HashMap<>();
                long bucket = 0;
                long prevBucket = -1;
                long prevNode = -1;
                node = 0;
                for (int k = 0; k < b.size(); k++) {
                    long db = (Long) b.get(k);
                    assertTrue(db >= 0, "b deltas are not negative");
                    bucket += db;
                    if (bucket != prevBucket) {
                        node = 0;
                        prevNode = -1;
                    }
                    node += (Long) n.get(k);
                    assertTrue(node > prevNode, "nodes ascend within a bucket");
                    assertTrue(bucket < buckets, "bucket " + bucket + " < count " + buckets);
                    sums.merge(node, (Long) v.get(k), Long::sum);
                    prevBucket = bucket;
                    prevNode = node;
                }
                assertEquals(expected, sums, "instance " + i + " of " + event.get("name"));
            }
        }
    }
}
