package dev.cprof.profile;

import com.google.protobuf.CodedOutputStream;
import dev.cprof.profile.pprof.proto.Pprof;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.FrameType;
import dev.cprof.wire.proto.InstanceInfo;
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
 * symbolized so pprof never tries to symbolize it.
 *
 * <p>The messages are protoc's classes of {@code src/main/proto/pprof.proto} ({@link Pprof}). The
 * profile is never built whole: a protobuf message is the concatenation of its fields, so it is
 * written in parts, in field order: a {@code Profile} holding the
 * sample types, then each sample, mapping, location and function as one field of the profile,
 * then a {@code Profile} holding the string table and the rest.
 */
final class PprofWriter implements ProfileWriter {
    /** The label key that names the instance of a sample. */
    static final String INSTANCE_LABEL = "instance";

    /** pprof sample types of an event, {count, weight}, each as {type, unit}. */
    static String[][] sampleTypes(EventType e) {
        return switch (e) {
            case CPU -> new String[][] {{"samples", "count"}, {"cpu", "nanoseconds"}};
            case WALL -> new String[][] {{"wall_samples", "count"}, {"wall", "nanoseconds"}};
            case ALLOC -> new String[][] {{"alloc_objects", "count"}, {"alloc_space", "bytes"}};
            case LOCK -> new String[][] {{"contentions", "count"}, {"delay", "nanoseconds"}};
            case JDBC -> new String[][] {{"jdbc_calls", "count"}, {"jdbc", "nanoseconds"}};
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
        Pprof.Profile.Builder head = Pprof.Profile.newBuilder();
        for (EventType e : events) {
            for (String[] vt : sampleTypes(e)) {
                head.addSampleType(valueType(strings.id(vt[0]), strings.id(vt[1])));
            }
        }
        head.build().writeTo(o);

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
        int[] labelKeys = {strings.id(INSTANCE_LABEL), strings.id("service"), strings.id("host")};
        Map<Integer, List<Pprof.Label>> instanceLabels = new HashMap<>();
        boolean[] usedFrame = new boolean[profile.frames.size()];
        Pprof.Sample.Builder sample = Pprof.Sample.newBuilder();
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
            sample.clear();
            for (int n = node; n != StackTree.ROOT; n = profile.tree.parent(n)) {
                int frame = profile.tree.frame(n);
                usedFrame[frame] = true;
                sample.addLocationId(frame + 1); // leaf first
            }
            for (long x : values) {
                sample.addValue(x);
            }
            sample.addAllLabel(instanceLabels.computeIfAbsent(instance, k -> instanceLabels(instances, k, strings, labelKeys)));
            o.writeMessage(Pprof.Profile.SAMPLE_FIELD_NUMBER, sample.build());
        }

        // mappings: one per frame kind other than Java
        FrameKind[] kinds = FrameKind.values();
        int[] mappingId = new int[kinds.length];
        int mappings = 0;
        for (int f = 0; f < usedFrame.length; f++) {
            FrameKind k = profile.frames.kind(f);
            if (usedFrame[f] && mappingFile(k) != null && mappingId[k.ordinal()] == 0) {
                mappingId[k.ordinal()] = ++mappings;
                o.writeMessage(Pprof.Profile.MAPPING_FIELD_NUMBER, Pprof.Mapping.newBuilder()
                        .setId(mappings)
                        .setFilename(strings.id(mappingFile(k)))
                        .setHasFunctions(true)
                        .setHasFilenames(true)
                        .setHasLineNumbers(true)
                        .build());
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
            Pprof.Line.Builder line = Pprof.Line.newBuilder().setFunctionId(fid);
            if (profile.frames.line(f) > 0) {
                line.setLine(profile.frames.line(f));
            }
            o.writeMessage(Pprof.Profile.LOCATION_FIELD_NUMBER, Pprof.Location.newBuilder()
                    .setId(f + 1)
                    .setMappingId(mappingId[k.ordinal()]) // 0, no mapping: not written
                    .addLine(line)
                    .build());
        }
        for (int i = 0; i < functions.size(); i++) {
            o.writeMessage(Pprof.Profile.FUNCTION_FIELD_NUMBER, Pprof.Function.newBuilder()
                    .setId(i + 1)
                    .setName(functions.get(i)[0])
                    .setSystemName(functions.get(i)[1])
                    .build());
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
        Pprof.Profile.Builder tail = Pprof.Profile.newBuilder();
        String title = options.title();
        if (title != null && !title.isEmpty()) {
            tail.addComment(strings.id(title));
        }
        for (Map.Entry<String, String> e : profile.metadata().entrySet()) {
            tail.addComment(strings.id(e.getKey() + "=" + e.getValue()));
        }
        var d = profile.dropped();
        if (profile.lost() > 0) {
            tail.addComment(strings.id("lost: " + profile.lost() + " samples (buffer_full=" + d.getBufferFull() + " other=" + d.getOther() + ")"));
        }
        if (profile.unwalked() > 0) {
            tail.addComment(strings.id("unwalked: " + profile.unwalked() + " samples, kept under pseudo frames such as [unknown_Java]"));
        }
        tail.setDefaultSampleType(strings.id(mainType[0]));
        tail.setPeriodType(valueType(strings.id(periodType[0]), strings.id(periodType[1])));
        tail.addAllStringTable(strings.list); // complete: no string is added after this
        if (start > 0) {
            tail.setTimeNanos(start);
            if (end > start) {
                tail.setDurationNanos(end - start);
            }
        }
        long period = period(profile, main);
        if (period > 0) {
            tail.setPeriod(period);
        }
        tail.build().writeTo(o);
    }

    private static Pprof.ValueType valueType(int type, int unit) {
        return Pprof.ValueType.newBuilder().setType(type).setUnit(unit).build();
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

    /** The labels of an instance's samples: instance, then service and host when known. */
    private static List<Pprof.Label> instanceLabels(List<InstanceInfo> instances, int instance, Strings strings, int[] keys) {
        String[] values;
        if (instance >= instances.size()) {
            values = new String[] {"instance " + instance, "", ""};
        } else {
            InstanceInfo info = instances.get(instance);
            values = new String[] {Profile.instanceLabel(info), info.getService(), info.getHost()};
        }
        List<Pprof.Label> labels = new ArrayList<>(3);
        for (int i = 0; i < 3; i++) {
            if (!values[i].isEmpty()) {
                labels.add(Pprof.Label.newBuilder().setKey(keys[i]).setStr(strings.id(values[i])).build());
            }
        }
        return labels;
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
    }
}
