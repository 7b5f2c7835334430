package dev.cprof.wire;

import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.Frame;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.FrameType;
import dev.cprof.wire.proto.Stack;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sending side of one stream: interns strings, frames and stacks into stream-local ids,
 * aggregates samples, and emits each dictionary entry once, in the batch where it first
 * appears. Samples go out as one columnar {@link dev.cprof.wire.proto.SampleGroup} per event. Used by the Python sampler, the load generator and tests; the C agent has its own.
 */
public final class BatchEncoder {
    private final Map<String, Integer> strings = new HashMap<>();
    private final Map<Frame, Integer> frames = new HashMap<>();
    private final Map<IntArrayKey, Integer> stacks = new HashMap<>();
    private final List<String> newStrings = new ArrayList<>();
    private final List<Frame> newFrames = new ArrayList<>();
    private final List<Stack> newStacks = new ArrayList<>();
    private final Map<Long, long[]> pending = new LinkedHashMap<>();
    private long sequence;
    private long batchStartNs;

    public int string(String s) {
        Integer id = strings.get(s);
        if (id == null) {
            id = strings.size();
            strings.put(s, id);
            newStrings.add(s);
        }
        return id;
    }

    public int frame(String name, FrameKind kind, int line) {
        return frame(name, kind, FrameType.FRAME_TYPE_UNSPECIFIED, line);
    }

    /** A frame with its type; two frames that differ only in type are two entries, as the agent sends them. */
    public int frame(String name, FrameKind kind, FrameType type, int line) {
        Frame f = Frame.newBuilder().setName(string(name)).setKind(kind).setType(type).setLine(line).build();
        Integer id = frames.get(f);
        if (id == null) {
            id = frames.size();
            frames.put(f, id);
            newFrames.add(f);
        }
        return id;
    }

    /** Stack of frame ids, root first. */
    public int stack(int[] rootFirstFrames) {
        IntArrayKey key = new IntArrayKey(rootFirstFrames.clone());
        Integer id = stacks.get(key);
        if (id == null) {
            id = stacks.size();
            stacks.put(key, id);
            Stack.Builder b = Stack.newBuilder();
            for (int f : rootFirstFrames) {
                b.addFrames(f);
            }
            newStacks.add(b.build());
        }
        return id;
    }

    public void sample(int stackId, EventType event, long count, long weight) {
        if (pending.isEmpty()) {
            batchStartNs = nowNs();
        }
        long key = ((long) stackId << 8) | event.getNumber();
        long[] cw = pending.computeIfAbsent(key, k -> new long[2]);
        cw[0] += count;
        cw[1] += weight;
    }

    /** The batch of everything since the last call: new dictionary entries and aggregated samples. */
    public Batch flush() {
        long end = nowNs();
        Batch.Builder b = Batch.newBuilder()
                .setSequence(++sequence)
                .setStringBase(strings.size() - newStrings.size())
                .addAllNewStrings(newStrings)
                .setFrameBase(frames.size() - newFrames.size())
                .addAllNewFrames(newFrames)
                .setStackBase(stacks.size() - newStacks.size())
                .addAllNewStacks(newStacks)
                .setStartTimeNs(pending.isEmpty() ? end : batchStartNs)
                .setEndTimeNs(end);
        addSampleGroups(b);
        newStrings.clear();
        newFrames.clear();
        newStacks.clear();
        pending.clear();
        return b.build();
    }

    /** The pending samples as one columnar group per event type, events ascending. */
    private void addSampleGroups(Batch.Builder b) {
        int n = pending.size();
        if (n == 0) {
            return;
        }
        long[] keys = new long[n]; // event << 32 | stack: sorts by event, then stack
        int k = 0;
        for (long key : pending.keySet()) {
            keys[k++] = ((key & 0xff) << 32) | (key >>> 8);
        }
        Arrays.sort(keys);
        int[] stacks = new int[n];
        long[] counts = new long[n];
        long[] weights = new long[n];
        for (int from = 0; from < n; ) {
            int event = (int) (keys[from] >>> 32);
            int m = 0;
            int to = from;
            for (; to < n && (int) (keys[to] >>> 32) == event; to++) {
                int stack = (int) keys[to];
                long[] cw = pending.get(((long) stack << 8) | event);
                stacks[m] = stack;
                counts[m] = cw[0];
                weights[m] = cw[1];
                m++;
            }
            b.addSampleGroups(SampleGroups.build(EventType.forNumber(event), stacks, counts, weights, m));
            from = to;
        }
    }

    private static long nowNs() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private record IntArrayKey(int[] values) {
        @Override
        public boolean equals(Object o) {
            return o instanceof IntArrayKey k && Arrays.equals(values, k.values);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(values);
        }
    }
}
