package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The "timeline" and the per-event "timed" lists of {@link FlameJson}: each instance's self values
 * per time bucket, as parallel arrays sorted by (bucket, node), b delta-encoded over the list, n
 * delta-encoded within a bucket. Fits a byte budget by merging buckets in pairs (on a copy: the
 * profile keeps its own resolution) until the lists fit or one bucket is left.
 */
final class FlameTimeline {
    private final Profile profile;
    private final int[] newId;
    private final List<EventType> events;
    private final int instanceCount;
    private Timeline timeline;
    private String[] timed;
    private boolean capped;
    private long capBytes;

    FlameTimeline(Profile profile, int[] newId, List<EventType> events, int instanceCount) {
        this.profile = profile;
        this.newId = newId;
        this.events = events;
        this.instanceCount = instanceCount;
        this.timeline = profile.timeline();
        encode();
    }

    /** Coarsens until the timed lists take at most {@code budget} bytes, for a page capped at {@code cap} bytes. */
    void fit(long budget, long cap) {
        capBytes = cap;
        while (bytes() > budget && timeline.buckets() > 1) {
            Timeline t = timeline.emptyLike();
            for (int e = 0; e < timeline.size(); e++) {
                t.add(timeline.slot(e), timeline.bucket(e), timeline.count(e), timeline.weight(e));
            }
            t.coarsen();
            timeline = t;
            capped = true;
            encode();
        }
    }

    /** Bytes of the timed lists (ASCII: one byte a character). */
    long bytes() {
        long n = 0;
        for (String s : timed) {
            n += s.length();
        }
        return n;
    }

    void writeTimeline(java.io.Writer w) throws java.io.IOException {
        w.write("\"timeline\":{\"startNs\":" + timeline.originNs() + ",\"bucketNs\":" + timeline.bucketNs() + ",\"count\":"
                + timeline.buckets() + ",\"capped\":" + capped + ",\"capBytes\":" + capBytes + "}");
    }

    /** The "timed" list of the event at {@code index} of the page's events: {@code [{"b":..,"n":..,"v":..}, ..]}. */
    String timed(int index) {
        return timed[index];
    }

    private void encode() {
        timed = new String[events.size()];
        ValueTable v = profile.values;
        for (int k = 0; k < events.size(); k++) {
            EventType event = events.get(k);
            List<List<long[]>> byInstance = new ArrayList<>();
            for (int i = 0; i < instanceCount; i++) {
                byInstance.add(new ArrayList<>());
            }
            for (int e = 0; e < timeline.size(); e++) {
                int s = timeline.slot(e);
                if (v.eventNumber(s) != event.getNumber()) {
                    continue;
                }
                long m = Events.measure(event, timeline.count(e), timeline.weight(e));
                int node = newId[v.node(s)];
                if (m != 0 && node >= 0) {
                    byInstance.get(v.instance(s)).add(new long[] {((long) timeline.bucket(e) << 32) | node, m});
                }
            }
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < instanceCount; i++) {
                sb.append(i > 0 ? "," : "");
                list(sb, byInstance.get(i));
            }
            timed[k] = sb.append(']').toString();
        }
    }

    private static void list(StringBuilder sb, List<long[]> entries) {
        long[][] all = entries.toArray(new long[0][]);
        Arrays.sort(all, (a, b) -> Long.compare(a[0], b[0]));
        int unique = 0; // a timeline may hold a (bucket, node) twice: one entry each here
        for (int k = 0; k < all.length; k++) {
            if (unique > 0 && all[unique - 1][0] == all[k][0]) {
                all[unique - 1][1] += all[k][1];
            } else {
                all[unique++] = all[k];
            }
        }
        long[][] sorted = Arrays.copyOf(all, unique);
        StringBuilder n = new StringBuilder();
        StringBuilder v = new StringBuilder();
        sb.append("{\"b\":[");
        long bucket = 0;
        long node = 0;
        for (int k = 0; k < sorted.length; k++) {
            long b = sorted[k][0] >>> 32;
            long id = sorted[k][0] & 0xffffffffL;
            if (k > 0) {
                sb.append(',');
                n.append(',');
                v.append(',');
            }
            if (k == 0 || b != bucket) {
                node = 0; // n restarts in every bucket
            }
            sb.append(b - bucket);
            n.append(id - node);
            v.append(sorted[k][1]);
            bucket = b;
            node = id;
        }
        sb.append("],\"n\":[").append(n).append("],\"v\":[").append(v).append("]}");
    }
}
