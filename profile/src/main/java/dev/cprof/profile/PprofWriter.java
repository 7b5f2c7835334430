package dev.cprof.profile;

import com.google.protobuf.CodedOutputStream;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.FrameType;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * pprof's {@code profile.proto} (github.com/google/pprof), gzip-compressed, as {@code go tool pprof}
 * reads it. All events go into one file: two sample types per event (its count and its weight,
 * see {@link #sampleTypes}), and one pprof sample per (stack node, instance) carrying a value for
 * every sample type, zero where that event did not occur. Each sample has the string label
 * {@code instance} ({@link Profile#instanceLabel}), plus {@code service} and {@code host} when
 * known, so {@code -tagfocus=instance=...} selects one JVM. The default sample type is the
 * measure that cprof's flame graphs show for the written event ({@link Events#measure}).
 *
 * <p>Every frame is one location (id = frame id + 1) with one line; functions are shared by
 * frames of the same name, kind and type. A Java frame's type (interpreted, C1, JIT, inlined) is
 * its function's system name: the name with async-profiler's suffix ({@code _[j]}, ...), which
 * pprof shows in {@code -raw} and does not group by. Lost and unwalked samples are comments.
 * The frame kind is kept as the location's mapping, whose
 * file is {@link #mappingFile} (for example {@code [kernel.kallsyms]}), marked as already
 * symbolized so pprof never tries to symbolize it. Encoded by hand: field numbers below are
 * those of profile.proto.
 */
final class PprofWriter implements ProfileWriter {
    // Profile
    static final int P_SAMPLE_TYPE = 1, P_SAMPLE = 2, P_MAPPING = 3, P_LOCATION = 4, P_FUNCTION = 5,
            P_STRING_TABLE = 6, P_TIME_NANOS = 9, P_DURATION_NANOS = 10, P_PERIOD_TYPE = 11, P_PERIOD = 12,
            P_COMMENT = 13, P_DEFAULT_SAMPLE_TYPE = 14;
    // ValueType
    static final int VT_TYPE = 1, VT_UNIT = 2;
    // Sample
    static final int S_LOCATION_ID = 1, S_VALUE = 2, S_LABEL = 3;
    // Label
    static final int L_KEY = 1, L_STR = 2, L_NUM = 3;
    // Mapping
    static final int M_ID = 1, M_FILENAME = 5, M_HAS_FUNCTIONS = 7, M_HAS_FILENAMES = 8, M_HAS_LINE_NUMBERS = 9;
    // Location
    static final int LOC_ID = 1, LOC_MAPPING_ID = 2, LOC_LINE = 4;
    // Line
    static final int LN_FUNCTION_ID = 1, LN_LINE = 2;
    // Function
    static final int F_ID = 1, F_NAME = 2, F_SYSTEM_NAME = 3, F_FILENAME = 4;

    /** The label key that names the instance of a sample. */
    static final String INSTANCE_LABEL = "instance";

    /** pprof sample types of an event, {count, weight}, each as {type, unit}. */
    static String[][] sampleTypes(EventType e) {
        return switch (e) {
            case CPU -> new String[][] {{"samples", "count"}, {"cpu", "nanoseconds"}};
            case WALL -> new String[][] {{"wall_samples", "count"}, {"wall", "nanoseconds"}};
            case ALLOC -> new String[][] {{"alloc_objects", "count"}, {"alloc_space", "bytes"}};
            case LOCK -> new String[][] {{"contentions", "count"}, {"delay", "nanoseconds"}};
            default -> throw new IllegalArgumentException("no pprof sample type for " + e);
        };
    }

    /** The mapping file that marks a frame kind; Java (and unknown) frames have no mapping. */
    static String mappingFile(FrameKind kind) {
        return switch (kind) {
            case NATIVE -> "[native]";
            case KERNEL -> "[kernel.kallsyms]";
            case PYTHON -> "[python]";
            case PSEUDO -> "[cprof]";
            default -> null;
        };
    }

    /** The system-name suffix of a function: the type of a Java frame as async-profiler writes it, or "". */
    static String typeSuffix(FrameKind kind, FrameType type) {
        return kind == FrameKind.JAVA ? CollapsedFormat.suffix(kind, type) : "";
    }

    @Override
    public void write(Profile profile, OutputStream out, WriteOptions options) throws IOException {
        GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16);
        CodedOutputStream o = CodedOutputStream.newInstance(gz, 1 << 16);
        encode(profile, options, o);
        o.flush();
        gz.finish();
        out.flush();
    }

    private static void encode(Profile profile, WriteOptions options, CodedOutputStream o) throws IOException {
        Strings strings = new Strings();
        List<EventType> events = profile.events();
        if (events.isEmpty()) {
            events = List.of(options.eventOf(profile));
        }
        int[] column = new int[EventType.values().length]; // event number -> first value column
        java.util.Arrays.fill(column, -1);
        for (int i = 0; i < events.size(); i++) {
            column[events.get(i).getNumber()] = 2 * i;
        }
        int width = 2 * events.size();

        // sample_type
        for (EventType e : events) {
            for (String[] vt : sampleTypes(e)) {
                writeValueType(o, P_SAMPLE_TYPE, strings.id(vt[0]), strings.id(vt[1]));
            }
        }

        // samples: group value slots by (node, instance), restricted to the chosen instance if any
        ValueTable v = profile.values;
        LongIntMap rowOf = new LongIntMap(Math.max(16, v.size()));
        List<long[]> rows = new ArrayList<>();
        List<Long> rowKeys = new ArrayList<>();
        for (int s = 0; s < v.size(); s++) {
            int col = column[v.eventNumber(s)];
            if (col < 0 || (options.instance() >= 0 && v.instance(s) != options.instance())) {
                continue;
            }
            long key = ((long) v.node(s) << 24) | v.instance(s);
            int row = rowOf.get(key);
            if (row < 0) {
                row = rows.size();
                rows.add(new long[width]);
                rowKeys.add(key);
                rowOf.putNew(key, row);
            }
            rows.get(row)[col] += v.count(s);
            rows.get(row)[col + 1] += v.weight(s);
        }
        List<InstanceInfo> instances = profile.instances();
        int labelKey = strings.id(INSTANCE_LABEL);
        int serviceKey = strings.id("service");
        int hostKey = strings.id("host");
        Map<Integer, int[]> instanceLabels = new HashMap<>();
        boolean[] usedFrame = new boolean[profile.frames.size()];
        ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
        for (int r = 0; r < rows.size(); r++) {
            long[] values = rows.get(r);
            boolean any = false;
            for (long x : values) {
                any |= x != 0;
            }
            int node = (int) (rowKeys.get(r) >>> 24);
            if (!any || node == StackTree.ROOT) {
                continue;
            }
            int instance = (int) (rowKeys.get(r) & 0xffffff);
            buf.reset();
            CodedOutputStream m = CodedOutputStream.newInstance(buf, 256);
            int depth = profile.tree.depth(node);
            int[] locs = new int[depth];
            int i = 0;
            for (int n = node; n != StackTree.ROOT; n = profile.tree.parent(n)) {
                int frame = profile.tree.frame(n);
                usedFrame[frame] = true;
                locs[i++] = frame + 1; // leaf first
            }
            writePackedUint(m, S_LOCATION_ID, locs);
            writePackedInt(m, S_VALUE, values);
            int[] labels = instanceLabels.computeIfAbsent(instance, k -> instanceLabelIds(instances, k, strings));
            if (labels[0] != 0) {
                writeLabel(m, labelKey, labels[0]);
            }
            if (labels[1] != 0) {
                writeLabel(m, serviceKey, labels[1]);
            }
            if (labels[2] != 0) {
                writeLabel(m, hostKey, labels[2]);
            }
            m.flush();
            o.writeByteArray(P_SAMPLE, buf.toByteArray());
        }

        // mappings: one per frame kind other than Java
        FrameKind[] kinds = FrameKind.values();
        int[] mappingId = new int[kinds.length];
        int mappings = 0;
        for (int f = 0; f < usedFrame.length; f++) {
            FrameKind k = profile.frames.kind(f);
            if (usedFrame[f] && mappingFile(k) != null && mappingId[k.ordinal()] == 0) {
                mappingId[k.ordinal()] = ++mappings;
                buf.reset();
                CodedOutputStream m = CodedOutputStream.newInstance(buf, 64);
                m.writeUInt64(M_ID, mappings);
                m.writeInt64(M_FILENAME, strings.id(mappingFile(k)));
                m.writeBool(M_HAS_FUNCTIONS, true);
                m.writeBool(M_HAS_FILENAMES, true);
                m.writeBool(M_HAS_LINE_NUMBERS, true);
                m.flush();
                o.writeByteArray(P_MAPPING, buf.toByteArray());
            }
        }

        // locations (one per frame) and functions (one per name, kind and type)
        Map<Long, Integer> functionOf = new HashMap<>();
        List<int[]> functions = new ArrayList<>(); // {name string id, system name string id}
        for (int f = 0; f < usedFrame.length; f++) {
            if (!usedFrame[f]) {
                continue;
            }
            FrameKind k = profile.frames.kind(f);
            FrameType t = profile.frames.type(f);
            String name = profile.frameName(f);
            int nameId = strings.id(name);
            long fkey = ((long) profile.frames.name(f) << 16) | (k.ordinal() << 8) | t.ordinal();
            Integer fid = functionOf.get(fkey);
            if (fid == null) {
                // pprof's graphs group by name, so type variants stay one method in top, peek, the
                // flame graph; the system name keeps the type as async-profiler's suffix.
                functions.add(new int[] {nameId, strings.id(name + typeSuffix(k, t))});
                fid = functions.size();
                functionOf.put(fkey, fid);
            }
            buf.reset();
            CodedOutputStream m = CodedOutputStream.newInstance(buf, 64);
            m.writeUInt64(LOC_ID, f + 1);
            if (mappingId[k.ordinal()] != 0) {
                m.writeUInt64(LOC_MAPPING_ID, mappingId[k.ordinal()]);
            }
            ByteArrayOutputStream lineBuf = new ByteArrayOutputStream(16);
            CodedOutputStream ln = CodedOutputStream.newInstance(lineBuf, 16);
            ln.writeUInt64(LN_FUNCTION_ID, fid);
            if (profile.frames.line(f) > 0) {
                ln.writeInt64(LN_LINE, profile.frames.line(f));
            }
            ln.flush();
            m.writeByteArray(LOC_LINE, lineBuf.toByteArray());
            m.flush();
            o.writeByteArray(P_LOCATION, buf.toByteArray());
        }
        for (int i = 0; i < functions.size(); i++) {
            buf.reset();
            CodedOutputStream m = CodedOutputStream.newInstance(buf, 32);
            m.writeUInt64(F_ID, i + 1);
            m.writeInt64(F_NAME, functions.get(i)[0]);
            m.writeInt64(F_SYSTEM_NAME, functions.get(i)[1]);
            m.flush();
            o.writeByteArray(P_FUNCTION, buf.toByteArray());
        }

        // time, period, comments, default sample type
        long start = profile.startTimeNs();
        long end = profile.endTimeNs();
        EventType main = options.eventOf(profile);
        if (column[main.getNumber()] < 0) {
            main = events.get(0);
        }
        String[] mainType = sampleTypes(main)[Events.byWeight(main) ? 1 : 0];
        String[] periodType = sampleTypes(main)[1];
        List<Integer> comments = new ArrayList<>();
        String title = options.title();
        if (title != null && !title.isEmpty()) {
            comments.add(strings.id(title));
        }
        for (Map.Entry<String, String> e : profile.metadata().entrySet()) {
            comments.add(strings.id(e.getKey() + "=" + e.getValue()));
        }
        var d = profile.dropped();
        if (profile.lost() > 0) {
            comments.add(strings.id("lost: " + profile.lost() + " samples (buffer_full=" + d.getBufferFull() + " other=" + d.getOther() + ")"));
        }
        if (profile.unwalked() > 0) {
            comments.add(strings.id("unwalked: " + profile.unwalked() + " samples, kept under pseudo frames such as [unknown_Java]"));
        }
        int defaultType = strings.id(mainType[0]);
        int periodTypeName = strings.id(periodType[0]);
        int periodUnit = strings.id(periodType[1]);

        for (int i = 0; i < strings.size(); i++) {
            o.writeString(P_STRING_TABLE, strings.get(i));
        }
        if (start > 0) {
            o.writeInt64(P_TIME_NANOS, start);
            if (end > start) {
                o.writeInt64(P_DURATION_NANOS, end - start);
            }
        }
        writeValueType(o, P_PERIOD_TYPE, periodTypeName, periodUnit);
        long period = period(profile, main);
        if (period > 0) {
            o.writeInt64(P_PERIOD, period);
        }
        for (int c : comments) {
            o.writeInt64(P_COMMENT, c);
        }
        o.writeInt64(P_DEFAULT_SAMPLE_TYPE, defaultType);
    }

    /** The mean weight of one sample of the event (the sampling interval for cpu), or 0. */
    private static long period(Profile profile, EventType e) {
        long count = 0;
        long weight = 0;
        ValueTable v = profile.values;
        for (int s = 0; s < v.size(); s++) {
            if (v.eventNumber(s) == e.getNumber()) {
                count += v.count(s);
                weight += v.weight(s);
            }
        }
        return count > 0 ? weight / count : 0;
    }

    private static int[] instanceLabelIds(List<InstanceInfo> instances, int instance, Strings strings) {
        if (instance >= instances.size()) {
            return new int[] {strings.id("instance " + instance), 0, 0};
        }
        InstanceInfo info = instances.get(instance);
        return new int[] {
            strings.id(Profile.instanceLabel(info)),
            info.getService().isEmpty() ? 0 : strings.id(info.getService()),
            info.getHost().isEmpty() ? 0 : strings.id(info.getHost()),
        };
    }

    private static void writeValueType(CodedOutputStream o, int field, int type, int unit) throws IOException {
        o.writeTag(field, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
        o.writeUInt32NoTag(CodedOutputStream.computeInt64Size(VT_TYPE, type) + CodedOutputStream.computeInt64Size(VT_UNIT, unit));
        o.writeInt64(VT_TYPE, type);
        o.writeInt64(VT_UNIT, unit);
    }

    private static void writeLabel(CodedOutputStream o, int key, int str) throws IOException {
        o.writeTag(S_LABEL, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
        o.writeUInt32NoTag(CodedOutputStream.computeInt64Size(L_KEY, key) + CodedOutputStream.computeInt64Size(L_STR, str));
        o.writeInt64(L_KEY, key);
        o.writeInt64(L_STR, str);
    }

    private static void writePackedUint(CodedOutputStream o, int field, int[] values) throws IOException {
        int size = 0;
        for (int x : values) {
            size += CodedOutputStream.computeUInt64SizeNoTag(x);
        }
        o.writeTag(field, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
        o.writeUInt32NoTag(size);
        for (int x : values) {
            o.writeUInt64NoTag(x);
        }
    }

    private static void writePackedInt(CodedOutputStream o, int field, long[] values) throws IOException {
        int size = 0;
        for (long x : values) {
            size += CodedOutputStream.computeInt64SizeNoTag(x);
        }
        o.writeTag(field, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
        o.writeUInt32NoTag(size);
        for (long x : values) {
            o.writeInt64NoTag(x);
        }
    }

    /** pprof's own string table: index 0 is "", strings appear once. */
    private static final class Strings {
        private final Map<String, Integer> ids = new HashMap<>();
        private final List<String> list = new ArrayList<>();

        Strings() {
            id("");
        }

        int id(String s) {
            Integer id = ids.get(s);
            if (id == null) {
                id = list.size();
                list.add(s);
                ids.put(s, id);
            }
            return id;
        }

        String get(int i) {
            return list.get(i);
        }

        int size() {
            return list.size();
        }
    }
}
