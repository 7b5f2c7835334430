package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The data embedded in the HTML flame graph: one JSON object, safe to place inside a
 * {@code <script type="application/json">} element: strings are {@link Json}'s HTML-safe
 * literals (every {@code <}, {@code >}, {@code &}, U+2028, U+2029 and lone surrogate is a
 * {@code \\u} escape), so no name can close the element or be mangled by the UTF-8 encoder.
 *
 * <pre>
 * {
 *   "format": "cprof-flame", "version": 1,
 *   "title": "...",
 *   "frames": {"name": [..], "kind": [..], "type": [..],   // kind: FrameKind number, type: FrameType number
 *              "line": [..]},                              // line 0 = none
 *   "nodes": {"depth": [..], "frame": [..]},                 // nodes 1..N-1 in preorder, children by name;
 *                                                           // node 0 is the root ("all") and is implicit
 *   "instances": ["host:pid service", ..],
 *   "events": [{"name": "cpu", "unit": "samples",
 *               "self": [{"n": [..], "v": [..]}, ..]}],    // one sparse self-value list per instance:
 *                                                           // n = node ids, delta-encoded ascending; v = values
 *   "initial": {"event": 0, "instance": -1},               // what the page shows first; -1 = all
 *   "meta": {"startNs": .., "endNs": .., "dropped": {..}}  // dropped: lost (bufferFull, other), and unwalkable:
 *                                                           // kept in the stacks as pseudo frames, not lost
 * }
 * </pre>
 *
 * A profile with time buckets ({@link Timeline}; not a diff) carries two more members:
 * <pre>
 *   "timeline": {"startNs": ..,      // epoch ns of bucket 0's start
 *                "bucketNs": ..,     // bucket width in ns; bucket b starts at startNs + b·bucketNs
 *                "count": ..,        // number of buckets
 *                "capped": false,    // true: buckets were merged in pairs (width doubled) to fit the cap
 *                "capBytes": ..},    // the page's size cap (--html-max)
 *   and in each element of "events":
 *   "timed": [{"b": [..], "n": [..], "v": [..]}, ..]   // one per instance, in the order of "instances"
 * </pre>
 * An instance's timed entries are parallel arrays sorted by (bucket, node): b = bucket index,
 * delta-encoded over the list (the first absolute, then differences ≥ 0); n = node id (the ids of
 * "self"), delta-encoded within a bucket (the first entry of every bucket absolute); v = the self
 * value in that bucket. Summed over all buckets, an instance's entries give exactly its "self"
 * list. A profile without buckets has neither member.
 *
 * <p>The tree holds the union of all selections, so one tree serves every (event, instance)
 * pair; "all instances" is the sum of the per-instance lists, computed in the page.
 *
 * <p>A differential flame graph ({@link FlameDiff}, from {@code cprof diff}) holds only the
 * compared event, which carries one more member:
 * <pre>
 *   "delta": {"n": [..], "v": [..],     // per node, over all instances: the change of its self
 *                                       // share in NEW's units (DiffColours#newNodeDelta), signed;
 *                                       // n delta-encoded as above, v may have decimals
 *             "total": ..,              // NEW's total: change in pp = 100 · v / total
 *             "fullPp": ..,             // the change drawn at full colour (DiffColours#scalePp)
 *             "fresh": [..]}            // nodes BASE never had, delta-encoded ids
 * </pre>
 * The page sums the changes over each subtree, which gives every frame the change of its total
 * share, and colours by it as {@link FlamePalette#diffColor} does.
 */
final class FlameJson {
    static final int VERSION = 1;

    private final Profile profile;
    private final String title;
    private final EventType initialEvent;
    private final int initialInstance;
    /** Null for a plain flame graph. */
    private final FlameDiff diff;
    /** Kept nodes in preorder: order[newId] = old node id (order[0] = root). */
    private int[] order;
    private int[] newId;
    private int[] frameOrder;
    private int[] newFrame;
    private int instanceCount;
    /** The time buckets ("timeline", "timed"), or null. */
    private FlameTimeline time;
    private boolean writeTimed = true;

    /** The page first shows options' event (if present) and instance; its title is {@code title}. */
    FlameJson(Profile profile, String title, WriteOptions options) {
        this(profile, title, options, null);
    }

    /** With a diff: only its event, with its "delta" (diff's event replaces options' event). */
    FlameJson(Profile profile, String title, WriteOptions options, FlameDiff diff) {
        this.profile = profile;
        this.title = title;
        this.initialEvent = diff != null ? diff.event() : options.event();
        this.initialInstance = options.instance();
        this.diff = diff;
        build();
        Timeline t = profile.timeline();
        if (diff == null && t != null && t.buckets() > 0) {
            time = new FlameTimeline(profile, newId, events(), instanceCount);
        }
    }

    boolean hasTimeline() {
        return time != null;
    }

    /**
     * Fits the timed lists in a page of {@code capBytes}: {@code fixedBytes} are the page's other
     * parts (template, CSS, JS); the rest of this JSON is measured here.
     */
    void fitTimeline(long fixedBytes, long capBytes) throws IOException {
        if (time == null) {
            return;
        }
        Utf8Count count = new Utf8Count();
        writeTimed = false;
        try {
            write(count);
        } finally {
            writeTimed = true;
        }
        time.fit(capBytes - fixedBytes - count.bytes, capBytes);
    }

    /** Counts the UTF-8 bytes of what is written (a surrogate pair: 4). */
    static final class Utf8Count extends Writer {
        long bytes;

        @Override
        public void write(char[] buf, int off, int len) {
            for (int i = off; i < off + len; i++) {
                char c = buf[i];
                bytes += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
            }
        }

        @Override
        public void write(String str, int off, int len) {
            for (int i = off; i < off + len; i++) {
                char c = str.charAt(i);
                bytes += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }

    private List<EventType> events() {
        return diff != null ? List.of(diff.event()) : profile.events();
    }

    /** Number of nodes written, including the root. */
    int nodeCount() {
        return order.length;
    }

    private void build() {
        StackTree tree = profile.tree;
        ValueTable values = profile.values;
        int n = tree.size();
        boolean[] keep = new boolean[n];
        keep[StackTree.ROOT] = true;
        int maxInstance = profile.instances().size() - 1;
        for (int s = 0; s < values.size(); s++) {
            if (measure(s) != 0) {
                keep[values.node(s)] = true;
                maxInstance = Math.max(maxInstance, values.instance(s));
            }
        }
        instanceCount = maxInstance + 1;
        // Parents were created before their children: one backward pass keeps the ancestors.
        for (int node = n - 1; node > 0; node--) {
            if (keep[node]) {
                keep[tree.parent(node)] = true;
            }
        }
        int[] childCount = new int[n + 1];
        for (int node = 1; node < n; node++) {
            if (keep[node]) {
                childCount[tree.parent(node) + 1]++;
            }
        }
        int[] childStart = new int[n + 1];
        for (int i = 0; i < n; i++) {
            childStart[i + 1] = childStart[i] + childCount[i + 1];
        }
        int[] fill = Arrays.copyOf(childStart, n);
        int[] children = new int[childStart[n]];
        for (int node = 1; node < n; node++) {
            if (keep[node]) {
                children[fill[tree.parent(node)]++] = node;
            }
        }
        FrameTable frames = profile.frames;
        Comparator<Integer> byName = Comparator.<Integer, String>comparing(c -> profile.frameName(tree.frame(c)))
                .thenComparingInt(c -> frames.kind(tree.frame(c)).getNumber())
                .thenComparingInt(c -> frames.line(tree.frame(c)))
                .thenComparingInt(c -> frames.type(tree.frame(c)).getNumber());
        FlameView.sortGroups(children, childStart, n, byName);
        // Preorder, iteratively: stacks can be thousands of frames deep.
        order = new int[children.length + 1];
        newId = new int[n];
        Arrays.fill(newId, -1);
        newFrame = new int[frames.size()];
        Arrays.fill(newFrame, -1);
        int[] frameList = new int[Math.max(16, frames.size())];
        int frameCount = 0;
        int[] stack = new int[64];
        int sp = 0;
        stack[sp++] = StackTree.ROOT;
        int next = 0;
        while (sp > 0) {
            int node = stack[--sp];
            newId[node] = next;
            order[next++] = node;
            if (node != StackTree.ROOT) {
                int f = tree.frame(node);
                if (newFrame[f] < 0) {
                    newFrame[f] = frameCount;
                    frameList[frameCount++] = f;
                }
            }
            int from = childStart[node];
            int to = childStart[node + 1];
            if (sp + (to - from) > stack.length) {
                stack = Arrays.copyOf(stack, Math.max(stack.length * 2, sp + (to - from)));
            }
            for (int i = to - 1; i >= from; i--) {
                stack[sp++] = children[i];
            }
        }
        frameOrder = Arrays.copyOf(frameList, frameCount);
    }

    private long measure(int slot) {
        ValueTable v = profile.values;
        EventType e = v.event(slot);
        return e == null || (diff != null && e != diff.event()) ? 0 : Events.measure(e, v.count(slot), v.weight(slot));
    }

    void write(Writer w) throws IOException {
        StackTree tree = profile.tree;
        FrameTable frames = profile.frames;
        w.write("{\"format\":\"cprof-flame\",\"version\":");
        w.write(Integer.toString(VERSION));
        w.write(",\"title\":");
        string(w, title);

        w.write(",\n\"frames\":{\"name\":[");
        for (int i = 0; i < frameOrder.length; i++) {
            if (i > 0) {
                w.write(',');
            }
            string(w, profile.frameName(frameOrder[i]));
        }
        w.write("],\n\"kind\":[");
        for (int i = 0; i < frameOrder.length; i++) {
            if (i > 0) {
                w.write(',');
            }
            w.write(Integer.toString(frames.kind(frameOrder[i]).getNumber()));
        }
        w.write("],\n\"type\":[");
        for (int i = 0; i < frameOrder.length; i++) {
            if (i > 0) {
                w.write(',');
            }
            w.write(Integer.toString(frames.type(frameOrder[i]).getNumber()));
        }
        w.write("],\n\"line\":[");
        for (int i = 0; i < frameOrder.length; i++) {
            if (i > 0) {
                w.write(',');
            }
            w.write(Integer.toString(frames.line(frameOrder[i])));
        }
        w.write("]},\n\"nodes\":{\"depth\":[");
        for (int i = 1; i < order.length; i++) {
            if (i > 1) {
                w.write(',');
            }
            w.write(Integer.toString(tree.depth(order[i])));
        }
        w.write("],\n\"frame\":[");
        for (int i = 1; i < order.length; i++) {
            if (i > 1) {
                w.write(',');
            }
            w.write(Integer.toString(newFrame[tree.frame(order[i])]));
        }
        w.write("]},\n\"instances\":[");
        List<InstanceInfo> infos = profile.instances();
        for (int i = 0; i < instanceCount; i++) {
            if (i > 0) {
                w.write(',');
            }
            string(w, i < infos.size() ? Profile.instanceLabel(infos.get(i)) : "instance " + i);
        }
        w.write("],\n");
        if (time != null && writeTimed) {
            time.writeTimeline(w);
            w.write(",\n");
        }
        w.write("\"events\":[");
        List<EventType> events = events();
        ValueTable values = profile.values;
        for (int e = 0; e < events.size(); e++) {
            EventType event = events.get(e);
            if (e > 0) {
                w.write(",\n");
            }
            w.write("{\"name\":");
            string(w, Events.name(event));
            w.write(",\"unit\":");
            string(w, Events.unit(event));
            w.write(",\"self\":[");
            // Group this event's slots by instance, then sort each group by new node id.
            List<List<long[]>> byInstance = new ArrayList<>();
            for (int i = 0; i < instanceCount; i++) {
                byInstance.add(new ArrayList<>());
            }
            for (int s = 0; s < values.size(); s++) {
                if (values.eventNumber(s) == event.getNumber()) {
                    long m = measure(s);
                    if (m != 0) {
                        byInstance.get(values.instance(s)).add(new long[] {newId[values.node(s)], m});
                    }
                }
            }
            for (int i = 0; i < instanceCount; i++) {
                if (i > 0) {
                    w.write(',');
                }
                List<long[]> list = byInstance.get(i);
                list.sort(Comparator.comparingLong(a -> a[0]));
                w.write("{\"n\":[");
                long prev = 0;
                for (int k = 0; k < list.size(); k++) {
                    if (k > 0) {
                        w.write(',');
                    }
                    w.write(Long.toString(list.get(k)[0] - prev));
                    prev = list.get(k)[0];
                }
                w.write("],\"v\":[");
                for (int k = 0; k < list.size(); k++) {
                    if (k > 0) {
                        w.write(',');
                    }
                    w.write(Long.toString(list.get(k)[1]));
                }
                w.write("]}");
            }
            w.write("]");
            if (time != null && writeTimed) {
                w.write(",\"timed\":");
                w.write(time.timed(e));
            }
            if (diff != null) {
                writeDelta(w);
            }
            w.write("}");
        }
        int evIndex = initialEvent == null ? 0 : Math.max(0, events.indexOf(initialEvent));
        int inst = initialInstance >= 0 && initialInstance < instanceCount ? initialInstance : -1;
        w.write("],\n\"initial\":{\"event\":" + evIndex + ",\"instance\":" + inst + "}");
        w.write(",\n\"meta\":{\"startNs\":");
        w.write(Long.toString(profile.startTimeNs()));
        w.write(",\"endNs\":");
        w.write(Long.toString(profile.endTimeNs()));
        var d = profile.dropped();
        w.write(",\"dropped\":{\"bufferFull\":" + d.getBufferFull() + ",\"unwalkable\":" + d.getUnwalkable() + ",\"other\":" + d.getOther() + "}");
        w.write("}}");
    }

    private void writeDelta(Writer w) throws IOException {
        double[] delta = diff.selfDelta();
        w.write(",\n\"delta\":{\"n\":[");
        StringBuilder v = new StringBuilder();
        int prev = 0;
        for (int id = 1; id < order.length; id++) {
            int node = order[id];
            if (node < delta.length && delta[node] != 0) {
                w.write(v.length() == 0 ? "" : ",");
                w.write(Integer.toString(id - prev));
                prev = id;
                v.append(v.length() == 0 ? "" : ",").append(Json.number(delta[node], 9));
            }
        }
        w.write("],\"v\":[");
        w.append(v);
        w.write("],\"total\":" + diff.newTotal() + ",\"fullPp\":" + Json.number(diff.fullPp(), 6) + ",\"fresh\":[");
        prev = 0;
        boolean first = true;
        for (int id = 1; id < order.length; id++) {
            int node = order[id];
            if (node < diff.fresh().length && diff.fresh()[node]) {
                w.write(first ? "" : ",");
                w.write(Integer.toString(id - prev));
                prev = id;
                first = false;
            }
        }
        w.write("]}");
    }

    private static void string(Writer w, String s) throws IOException {
        Json.string(w, s, true);
    }
}
