package dev.cprof.profile;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.cprof.wire.CountingInputStream;
import dev.cprof.wire.proto.Dropped;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.FrameType;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Reads pprof profiles (gzip-compressed or plain {@code profile.proto}), as {@link PprofWriter}
 * writes them and as Go and other tools do. Sample types become events by name: samples/cpu →
 * cpu, wall_samples/wall → wall, alloc_objects/alloc_space → alloc, contentions/delay → lock
 * (count/weight); other types are ignored unless none is known, then the default (or first)
 * type is read as cpu samples. The {@code instance} label names the instance of a sample; a
 * location's lines (inlined functions) become several frames. The mapping file written by
 * {@link PprofWriter#mappingFile} gives the frame kind back, a Java function's system name its
 * type ({@link PprofWriter#typeSuffix}), the comments the lost and unwalked sample counts.
 */
final class PprofReader implements ProfileReader {
    /** Deepest sample, in frames (after inlined lines are expanded). */
    static final int MAX_STACK_DEPTH = 1 << 20;
    /** Most entries of the location, function and mapping tables; each is an object of its own. */
    static final int MAX_LOCATIONS = 1 << 20;
    static final int MAX_COMMENTS = 1 << 16;
    private static final Pattern INSTANCE = Pattern.compile("(.*):(\\d{1,10})(?: (.*))?");

    private static final class Loc {
        long mapping;
        final List<long[]> lines = new ArrayList<>(1); // {function id, line}
    }

    private final long limit;

    PprofReader() {
        this(-1);
    }

    /** A reader with its own limit on the uncompressed bytes (tests); -1: the configured one. */
    PprofReader(long limit) {
        this.limit = limit;
    }

    private static final class Sample {
        long[] locations = new long[0];
        long[] values = new long[0];
        final List<long[]> labels = new ArrayList<>(2); // {key, str}
    }

    @Override
    public Profile read(InputStream in, String sourceName) throws IOException {
        // Decoded as it decompresses, never held whole: samples and locations are kept as their
        // own bytes (they can only be resolved once the string table, which comes last, is read),
        // everything else as it arrives; unknown fields are skipped as they stream by.
        CodedInputStream c = open(in, sourceName, limit >= 0 ? limit : InputLimits.maxInputBytes());
        List<long[]> sampleTypes = new ArrayList<>();
        ByteChunks samples = new ByteChunks();
        Map<Long, Long> mappingFile = new HashMap<>();
        Map<Long, byte[]> locations = new HashMap<>();
        Map<Long, long[]> functions = new HashMap<>(); // id -> {name, system name}
        List<String> strings = new ArrayList<>();
        List<Long> comments = new ArrayList<>();
        long timeNanos = 0;
        long durationNanos = 0;
        long defaultType = 0;
        try {
            for (int tag; (tag = c.readTag()) != 0; ) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case PprofWriter.P_SAMPLE_TYPE -> {
                        sampleTypes.add(valueType(element(c, sourceName)));
                        bound(sampleTypes.size(), MAX_COMMENTS, "sample types", sourceName);
                    }
                    case PprofWriter.P_SAMPLE -> {
                        samples.add(elementBytes(c, sourceName));
                        bound(samples.count(), InputLimits.MAX_TABLE_ENTRIES, "samples", sourceName);
                    }
                    case PprofWriter.P_MAPPING -> {
                        CodedInputStream m = element(c, sourceName);
                        long id = 0;
                        long file = 0;
                        for (int t; (t = m.readTag()) != 0; ) {
                            switch (WireFormat.getTagFieldNumber(t)) {
                                case PprofWriter.M_ID -> id = m.readUInt64();
                                case PprofWriter.M_FILENAME -> file = m.readInt64();
                                default -> m.skipField(t);
                            }
                        }
                        mappingFile.put(id, file);
                        bound(mappingFile.size(), MAX_LOCATIONS, "mappings", sourceName);
                    }
                    case PprofWriter.P_LOCATION -> {
                        byte[] raw = elementBytes(c, sourceName);
                        locations.put(locationId(raw), raw);
                        bound(locations.size(), MAX_LOCATIONS, "locations", sourceName);
                    }
                    case PprofWriter.P_FUNCTION -> {
                        CodedInputStream m = element(c, sourceName);
                        long id = 0;
                        long[] f = new long[2];
                        for (int t; (t = m.readTag()) != 0; ) {
                            switch (WireFormat.getTagFieldNumber(t)) {
                                case PprofWriter.F_ID -> id = m.readUInt64();
                                case PprofWriter.F_NAME -> f[0] = m.readInt64();
                                case PprofWriter.F_SYSTEM_NAME -> f[1] = m.readInt64();
                                default -> m.skipField(t);
                            }
                        }
                        functions.put(id, f);
                        bound(functions.size(), MAX_LOCATIONS, "functions", sourceName);
                    }
                    case PprofWriter.P_STRING_TABLE -> {
                        String text = new String(elementBytes(c, sourceName), java.nio.charset.StandardCharsets.UTF_8);
                        strings.add(text.isEmpty() ? "" : text);
                        bound(strings.size(), InputLimits.MAX_TABLE_ENTRIES, "strings", sourceName);
                    }
                    case PprofWriter.P_TIME_NANOS -> timeNanos = c.readInt64();
                    case PprofWriter.P_DURATION_NANOS -> durationNanos = c.readInt64();
                    case PprofWriter.P_COMMENT -> {
                        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                            CodedInputStream m = element(c, sourceName);
                            while (!m.isAtEnd()) {
                                comments.add(m.readInt64());
                                bound(comments.size(), MAX_COMMENTS, "comments", sourceName);
                            }
                        } else {
                            comments.add(c.readInt64());
                            bound(comments.size(), MAX_COMMENTS, "comments", sourceName);
                        }
                    }
                    case PprofWriter.P_DEFAULT_SAMPLE_TYPE -> defaultType = c.readInt64();
                    default -> c.skipField(tag); // skipped as it streams by, never kept
                }
            }
        } catch (InvalidProtocolBufferException e) {
            throw malformed(sourceName, c, e);
        }
        if (strings.isEmpty() || !strings.get(0).isEmpty()) {
            throw new ProfileFormatException(sourceName + ": not a pprof profile (its string table does not start with \"\")");
        }
        Lookup s = new Lookup(strings, sourceName);

        // sample type index -> (event, is weight)
        int n = sampleTypes.size();
        EventType[] eventOf = new EventType[n];
        boolean[] weightOf = new boolean[n];
        boolean known = false;
        for (int i = 0; i < n; i++) {
            String type = s.get(sampleTypes.get(i)[0]);
            for (EventType e : new EventType[] {EventType.CPU, EventType.WALL, EventType.ALLOC, EventType.LOCK}) {
                String[][] names = PprofWriter.sampleTypes(e);
                for (int k = 0; k < 2; k++) {
                    if (names[k][0].equals(type) && eventOf[i] == null && !taken(eventOf, weightOf, i, e, k == 1)) {
                        eventOf[i] = e;
                        weightOf[i] = k == 1;
                        known = true;
                    }
                }
            }
        }
        if (!known && n > 0) {
            int main = 0;
            for (int i = 0; i < n; i++) {
                if (defaultType != 0 && sampleTypes.get(i)[0] == defaultType) {
                    main = i;
                }
            }
            eventOf[main] = EventType.CPU;
        }

        Profile p = new Profile();
        Map<Long, Integer> instanceOf = new HashMap<>();
        Map<Long, int[]> frameCache = new HashMap<>();
        int[] stack = new int[64];
        for (ByteChunks.Reader r = samples.reader(); r.hasNext(); ) {
            Sample sample;
            try {
                sample = sample(CodedInputStream.newInstance(r.next()));
            } catch (InvalidProtocolBufferException e) {
                throw new ProfileFormatException(sourceName + ": not a readable pprof profile (a malformed sample)", e);
            }
            if (sample.values.length != n) {
                throw new ProfileFormatException(sourceName + ": a sample has " + sample.values.length + " values for " + n + " sample types");
            }
            long instanceStr = 0;
            for (long[] label : sample.labels) {
                if (label[1] != 0 && s.get(label[0]).equals(PprofWriter.INSTANCE_LABEL)) {
                    instanceStr = label[1];
                }
            }
            Integer instance = instanceOf.get(instanceStr);
            if (instance == null) {
                instance = p.addInstance(instanceInfo(instanceStr == 0 ? null : s.get(instanceStr), sourceName, p.instances().size()));
                instanceOf.put(instanceStr, instance);
            }
            int depth = 0;
            for (int i = sample.locations.length - 1; i >= 0; i--) {
                long locId = sample.locations[i];
                int[] frames = frameCache.get(locId);
                if (frames == null) {
                    frames = frames(p, location(locations.get(locId), sourceName), locId, functions, mappingFile, s);
                    frameCache.put(locId, frames);
                }
                if (depth + frames.length > MAX_STACK_DEPTH) {
                    throw new ProfileFormatException(sourceName + ": a sample deeper than " + MAX_STACK_DEPTH + " frames (corrupt?)");
                }
                if (depth + frames.length > stack.length) {
                    stack = java.util.Arrays.copyOf(stack, Math.max(stack.length * 2, depth + frames.length));
                }
                System.arraycopy(frames, 0, stack, depth, frames.length);
                depth += frames.length;
            }
            int node = -1;
            for (int i = 0; i < n; i++) {
                long value = sample.values[i];
                if (eventOf[i] == null || value == 0) {
                    continue;
                }
                if (node < 0) {
                    node = p.tree.insert(StackTree.ROOT, stack, depth);
                }
                p.addValue(node, instance, eventOf[i], weightOf[i] ? 0 : value, weightOf[i] ? value : 0);
            }
        }
        for (int i = 0; i < n; i++) {
            if (eventOf[i] != null) {
                p.declareEvent(eventOf[i]);
            }
        }
        if (timeNanos > 0) {
            p.coverTime(timeNanos, timeNanos + Math.max(0, durationNanos));
        }
        for (long comment : comments) {
            String text = s.get(comment);
            int eq = text.indexOf('=');
            if (!readDropped(p, text) && eq > 0) {
                p.metadata().put(text.substring(0, eq), text.substring(eq + 1));
            }
        }
        return p;
    }

    private static final Pattern LOST = Pattern.compile("lost: \\d+ samples \\(buffer_full=(\\d{1,18}) other=(\\d{1,18})\\)");
    private static final Pattern UNWALKED = Pattern.compile("unwalked: (\\d{1,18}) samples.*");
    private static final Pattern DROPPED = Pattern.compile("dropped: buffer_full=(\\d{1,18}) unwalkable=(\\d{1,18}) other=(\\d{1,18})");

    /** The lost and unwalked counts of PprofWriter's comments (and the older "dropped:" one); false for another comment. */
    private static boolean readDropped(Profile p, String comment) {
        Matcher m;
        if ((m = LOST.matcher(comment)).matches()) {
            p.addDropped(Dropped.newBuilder().setBufferFull(Long.parseLong(m.group(1))).setOther(Long.parseLong(m.group(2))).build());
        } else if ((m = UNWALKED.matcher(comment)).matches()) {
            p.addDropped(Dropped.newBuilder().setUnwalkable(Long.parseLong(m.group(1))).build());
        } else if ((m = DROPPED.matcher(comment)).matches()) {
            p.addDropped(Dropped.newBuilder().setBufferFull(Long.parseLong(m.group(1))).setUnwalkable(Long.parseLong(m.group(2)))
                    .setOther(Long.parseLong(m.group(3))).build());
        } else {
            return comment.startsWith("dropped:");
        }
        return true;
    }

    private static boolean taken(EventType[] eventOf, boolean[] weightOf, int upTo, EventType e, boolean weight) {
        for (int j = 0; j < upTo; j++) {
            if (eventOf[j] == e && weightOf[j] == weight) {
                return true;
            }
        }
        return false;
    }

    /** The frames of a location, root first (pprof lists inlined callees before their caller). */
    private static int[] frames(Profile p, Loc loc, long id, Map<Long, long[]> functions, Map<Long, Long> mappingFile, Lookup s)
            throws ProfileFormatException {
        if (loc == null) {
            throw new ProfileFormatException(s.sourceName + ": a sample refers to unknown location " + id);
        }
        FrameKind mappedKind = null;
        Long file = mappingFile.get(loc.mapping);
        if (file != null) {
            String f = s.get(file);
            for (FrameKind k : FrameKind.values()) {
                if (k != FrameKind.UNRECOGNIZED && f.equals(PprofWriter.mappingFile(k))) {
                    mappedKind = k;
                }
            }
        }
        if (loc.lines.isEmpty()) {
            return new int[] {p.frame("0x" + Long.toHexString(id), mappedKind == null ? FrameKind.NATIVE : mappedKind, 0)};
        }
        int[] out = new int[loc.lines.size()];
        for (int i = 0; i < out.length; i++) {
            long[] line = loc.lines.get(out.length - 1 - i);
            long[] fn = functions.get(line[0]);
            if (fn == null) {
                throw new ProfileFormatException(s.sourceName + ": location " + id + " refers to unknown function " + line[0]);
            }
            String name = s.get(fn[0]);
            String systemName = s.get(fn[1]);
            if (name.isEmpty()) {
                name = systemName;
            }
            FrameKind kind = mappedKind;
            if (kind == null) {
                kind = name.startsWith("[") && name.endsWith("]") ? FrameKind.PSEUDO : FrameKind.JAVA;
            }
            out[i] = p.frame(name, kind, typeOf(kind, name, systemName), (int) Math.max(0, Math.min(line[1], 0x0fffffff)));
        }
        return out;
    }

    /** The type PprofWriter put in a Java function's system name (name + async-profiler's suffix), if any. */
    private static FrameType typeOf(FrameKind kind, String name, String systemName) {
        if (kind == FrameKind.JAVA && systemName.length() == name.length() + 4 && systemName.startsWith(name)) {
            for (FrameType t : JAVA_TYPES) {
                if (systemName.endsWith(PprofWriter.typeSuffix(kind, t))) {
                    return t;
                }
            }
        }
        return FrameType.FRAME_TYPE_UNSPECIFIED;
    }

    private static final FrameType[] JAVA_TYPES = {
        FrameType.INTERPRETED, FrameType.C1_COMPILED, FrameType.JIT_COMPILED, FrameType.INLINED,
    };

    private static InstanceInfo instanceInfo(String label, String sourceName, int index) {
        InstanceInfo.Builder b = InstanceInfo.newBuilder().setInstanceId(index);
        if (label == null) {
            return b.setService(sourceName).build();
        }
        Matcher m = INSTANCE.matcher(label);
        long pid;
        if (m.matches() && (pid = Long.parseLong(m.group(2))) <= 0xffffffffL) {
            b.setHost(m.group(1)).setPid((int) pid);
            if (m.group(3) != null) {
                b.setService(m.group(3));
            }
            return b.build();
        }
        return b.setService(label).build();
    }

    private static long[] valueType(CodedInputStream m) throws IOException {
        long[] vt = new long[2];
        for (int t; (t = m.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(t)) {
                case PprofWriter.VT_TYPE -> vt[0] = m.readInt64();
                case PprofWriter.VT_UNIT -> vt[1] = m.readInt64();
                default -> m.skipField(t);
            }
        }
        return vt;
    }

    private static long[] line(CodedInputStream m) throws IOException {
        long[] line = new long[2];
        for (int t; (t = m.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(t)) {
                case PprofWriter.LN_FUNCTION_ID -> line[0] = m.readUInt64();
                case PprofWriter.LN_LINE -> line[1] = m.readInt64();
                default -> m.skipField(t);
            }
        }
        return line;
    }

    private static Sample sample(CodedInputStream m) throws IOException {
        Sample s = new Sample();
        List<Long> locs = new ArrayList<>();
        List<Long> values = new ArrayList<>();
        for (int t; (t = m.readTag()) != 0; ) {
            int field = WireFormat.getTagFieldNumber(t);
            boolean packed = WireFormat.getTagWireType(t) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
            if (field == PprofWriter.S_LOCATION_ID || field == PprofWriter.S_VALUE) {
                List<Long> into = field == PprofWriter.S_LOCATION_ID ? locs : values;
                if (packed) {
                    int limit = m.pushLimit(m.readRawVarint32());
                    while (m.getBytesUntilLimit() > 0) {
                        into.add(m.readRawVarint64());
                    }
                    m.popLimit(limit);
                } else {
                    into.add(m.readRawVarint64());
                }
            } else if (field == PprofWriter.S_LABEL) {
                CodedInputStream l = m.readBytes().newCodedInput();
                long[] label = new long[2];
                for (int lt; (lt = l.readTag()) != 0; ) {
                    switch (WireFormat.getTagFieldNumber(lt)) {
                        case PprofWriter.L_KEY -> label[0] = l.readInt64();
                        case PprofWriter.L_STR -> label[1] = l.readInt64();
                        default -> l.skipField(lt);
                    }
                }
                s.labels.add(label);
            } else {
                m.skipField(t);
            }
        }
        s.locations = locs.stream().mapToLong(Long::longValue).toArray();
        s.values = values.stream().mapToLong(Long::longValue).toArray();
        return s;
    }

    /** The uncompressed protobuf, gunzipped if it is gzip, counted against {@code limit} as it arrives. */
    private static CodedInputStream open(InputStream in, String sourceName, long limit) throws IOException {
        CountingInputStream raw = new CountingInputStream(in);
        BufferedInputStream b = new BufferedInputStream(raw, 1 << 16);
        b.mark(2);
        int m1 = b.read();
        int m2 = b.read();
        b.reset();
        if (m1 < 0) {
            throw new ProfileFormatException(sourceName + ": empty file, not a pprof profile");
        }
        InputStream body = b;
        if (m1 == 0x1f && m2 == 0x8b) {
            try {
                body = new InputLimits.Decoded(new GZIPInputStream(b, 1 << 16), raw, sourceName, "pprof");
            } catch (IOException e) {
                throw new ProfileFormatException(sourceName + ": corrupt gzip header (not a pprof file, or truncated)", e);
            }
        }
        CodedInputStream c = CodedInputStream.newInstance(new InputLimits.Bounded(body, limit, sourceName), 1 << 16);
        c.setSizeLimit(Integer.MAX_VALUE);
        return c;
    }

    private static ProfileFormatException malformed(String sourceName, CodedInputStream c, Exception e) {
        // protobuf's own words ("invalid tag (zero)", "invalid wire type") say nothing to a user
        return new ProfileFormatException(sourceName + ": not a pprof profile (malformed data near byte " + c.getTotalBytesRead()
                + " of its uncompressed content; corrupt, or another kind of file)", e);
    }

    private static void bound(long size, long max, String what, String sourceName) throws ProfileFormatException {
        if (size > max) {
            throw InputLimits.tooManyEntries(sourceName, what, max);
        }
    }

    /** One length-delimited entry, refused over the limit before anything is allocated for it. */
    private static byte[] elementBytes(CodedInputStream c, String sourceName) throws IOException {
        int length = c.readRawVarint32();
        if (length < 0 || length > InputLimits.MAX_PPROF_ELEMENT_BYTES) {
            throw InputLimits.elementTooLarge(sourceName, length & 0xffffffffL, InputLimits.MAX_PPROF_ELEMENT_BYTES);
        }
        return c.readRawBytes(length);
    }

    private static CodedInputStream element(CodedInputStream c, String sourceName) throws IOException {
        return CodedInputStream.newInstance(elementBytes(c, sourceName));
    }

    private static long locationId(byte[] raw) throws IOException {
        CodedInputStream m = CodedInputStream.newInstance(raw);
        long id = 0;
        for (int t; (t = m.readTag()) != 0; ) {
            if (WireFormat.getTagFieldNumber(t) == PprofWriter.LOC_ID) {
                id = m.readUInt64();
            } else {
                m.skipField(t);
            }
        }
        return id;
    }

    /** A location decoded from its bytes when a sample first uses it. */
    private static Loc location(byte[] raw, String sourceName) throws IOException {
        if (raw == null) {
            return null;
        }
        CodedInputStream m = CodedInputStream.newInstance(raw);
        Loc loc = new Loc();
        try {
            for (int t; (t = m.readTag()) != 0; ) {
                switch (WireFormat.getTagFieldNumber(t)) {
                    case PprofWriter.LOC_MAPPING_ID -> loc.mapping = m.readUInt64();
                    case PprofWriter.LOC_LINE -> loc.lines.add(line(m.readBytes().newCodedInput()));
                    default -> m.skipField(t);
                }
            }
        } catch (InvalidProtocolBufferException e) {
            throw new ProfileFormatException(sourceName + ": not a readable pprof profile (a malformed location)", e);
        }
        return loc;
    }

    /** The string table with range checks. */
    private static final class Lookup {
        final List<String> strings;
        final String sourceName;

        Lookup(List<String> strings, String sourceName) {
            this.strings = strings;
            this.sourceName = sourceName;
        }

        String get(long index) throws ProfileFormatException {
            if (index < 0 || index >= strings.size()) {
                throw new ProfileFormatException(sourceName + ": refers to unknown string " + index);
            }
            return strings.get((int) index);
        }
    }
}
