package dev.cprof.profile;

import dev.cprof.wire.proto.Dropped;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.FrameType;
import dev.cprof.wire.proto.InstanceInfo;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A merged profile, modelled on pprof: a string table, a frame table, a prefix tree of
 * stacks, and sparse self values per (node, instance, event). Not thread-safe: one merge
 * thread owns it.
 */
public final class Profile {
    public final StringTable strings = new StringTable();
    public final FrameTable frames = new FrameTable();
    public final StackTree tree = new StackTree();
    public final ValueTable values = new ValueTable();
    /** Values per time bucket beside {@link #values}; null: the profile has no time axis. */
    private Timeline timeline;
    private final List<InstanceInfo> instances = new ArrayList<>();
    private final Set<EventType> events = EnumSet.noneOf(EventType.class);
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private long startTimeNs = Long.MAX_VALUE;
    private long endTimeNs;
    private long droppedBufferFull;
    private long droppedUnwalkable;
    private long droppedOther;

    /** Adds an instance; returns its index, used in values. */
    public int addInstance(InstanceInfo info) {
        instances.add(info);
        return instances.size() - 1;
    }

    public void setInstance(int index, InstanceInfo info) {
        instances.set(index, info);
    }

    public List<InstanceInfo> instances() {
        return Collections.unmodifiableList(instances);
    }

    /** "host:pid service", the name an instance has in per-instance views and selectors. */
    public static String instanceLabel(InstanceInfo i) {
        StringBuilder sb = new StringBuilder();
        if (!i.getHost().isEmpty() || i.getPid() != 0) {
            sb.append(i.getHost()).append(':').append(i.getPid());
        }
        if (!i.getService().isEmpty()) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(i.getService());
        }
        return sb.length() == 0 ? "instance " + i.getInstanceId() : sb.toString();
    }

    public int frame(String name, FrameKind kind, int line) {
        return frames.intern(strings.intern(name), kind, line);
    }

    public int frame(String name, FrameKind kind, FrameType type, int line) {
        return frames.intern(strings.intern(name), kind, type, line);
    }

    /** This profile's id of frame {@code f} of {@code source}: the same name, kind, type and line. */
    public int copyFrame(Profile source, int f) {
        FrameTable from = source.frames;
        return frames.intern(strings.intern(source.frameName(f)), from.kind(f), from.type(f), from.line(f));
    }

    public String frameName(int frame) {
        return strings.get(frames.name(frame));
    }

    /** Adds a root-first stack of frame ids with a value; the convenient, slower path. */
    public void addSample(int[] rootFirstFrames, int instance, EventType event, long count, long weight) {
        int leaf = tree.insert(StackTree.ROOT, rootFirstFrames, rootFirstFrames.length);
        addValue(leaf, instance, event, count, weight);
    }

    /** Adds a value; with a timeline, in the bucket of the latest time seen (see {@link #addValueAt}). */
    public void addValue(int node, int instance, EventType event, long count, long weight) {
        events.add(event);
        if (timeline == null) {
            values.add(node, instance, event, count, weight);
        } else {
            timeline.add(values.addSlot(node, instance, event, count, weight), timeline.bucketOf(0), count, weight);
        }
    }

    /** Adds a value measured at {@code timeNs} (epoch ns; 0 = unknown): the merge's path. */
    public void addValueAt(int node, int instance, EventType event, long count, long weight, long timeNs) {
        events.add(event);
        if (timeline == null) {
            values.add(node, instance, event, count, weight); // the aggregate alone: as fast as before buckets
        } else {
            timeline.add(values.addSlot(node, instance, event, count, weight), timeline.bucketOf(timeNs), count, weight);
        }
    }

    /** Adds a value to bucket {@code bucket} of this profile's timeline (a copy or a file with the same geometry). */
    public void addValueInBucket(int node, int instance, EventType event, long count, long weight, int bucket) {
        events.add(event);
        timeline.add(values.addSlot(node, instance, event, count, weight), bucket, count, weight);
    }

    /**
     * Keeps values per time bucket of {@code bucketNs} from now on (before the first value:
     * earlier values would be in no bucket).
     */
    public void keepTime(long bucketNs) {
        keepTime(new Timeline(bucketNs));
    }

    /** Keeps values in {@code t} (empty; its origin, width and caps are kept). */
    public void keepTime(Timeline t) {
        if (values.size() != 0) {
            throw new IllegalStateException("a timeline must be set before the first value");
        }
        timeline = t;
    }

    /** Drops the timeline (the aggregate stays). */
    void forgetTime() {
        timeline = null;
    }

    /** The values per time bucket, or null (a profile read from a format without time, or an old .cprof). */
    public Timeline timeline() {
        return timeline;
    }

    /** Event types present, in enum order (cpu, wall, alloc, lock). */
    public List<EventType> events() {
        return new ArrayList<>(events);
    }

    public void declareEvent(EventType event) {
        events.add(event);
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public void coverTime(long startNs, long endNs) {
        if (startNs > 0) {
            startTimeNs = Math.min(startTimeNs, startNs);
        }
        endTimeNs = Math.max(endTimeNs, endNs);
    }

    public long startTimeNs() {
        return startTimeNs == Long.MAX_VALUE ? 0 : startTimeNs;
    }

    public long endTimeNs() {
        return endTimeNs;
    }

    public void addDropped(Dropped d) {
        droppedBufferFull += d.getBufferFull();
        droppedUnwalkable += d.getUnwalkable();
        droppedOther += d.getOther();
    }

    public Dropped dropped() {
        return Dropped.newBuilder().setBufferFull(droppedBufferFull).setUnwalkable(droppedUnwalkable).setOther(droppedOther).build();
    }

    /** Samples the agents lost (a full buffer, a full table): in no stack of this profile. */
    public long lost() {
        return droppedBufferFull + droppedOther;
    }

    /**
     * Samples whose stack could not be walked. Not lost: each is in the profile under a named
     * pseudo frame ({@code [unknown_Java]}, {@code [gc]}, ...), so they are part of the totals.
     */
    public long unwalked() {
        return droppedUnwalkable;
    }

    /** Total of the event's measure over all instances (or one, when instance ≥ 0). */
    public long total(EventType event, int instance) {
        long sum = 0;
        for (int s = 0; s < values.size(); s++) {
            if (values.eventNumber(s) == event.getNumber() && (instance < 0 || values.instance(s) == instance)) {
                sum += Events.measure(event, values.count(s), values.weight(s));
            }
        }
        return sum;
    }

    /** Approximate heap used by the tables, for the memory benchmark. */
    public long memoryBytes() {
        return tree.memoryBytes() + values.memoryBytes() + frames.size() * 22L + (timeline == null ? 0 : timeline.memoryBytes());
    }
}
