package dev.cprof.profile;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.cprof.profile.pprof.proto.Pprof;
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
 *
 * <p>Each sub-message (sample, location, function, mapping, sample type) is decoded by protoc's
 * classes ({@link Pprof}); the profile around them is not parsed whole, which would hold every
 * entry as objects at once, but field by field as it decompresses, each field bounded before its
 * bytes are taken.
 */
final class PprofReader implements ProfileReader {
    /** Deepest sample, in frames (after inlined lines are expanded). */
    static final int MAX_STACK_DEPTH = 1 << 20;
    /** Most entries of the location, function and mapping tables; each is an object of its own. */
    static final int MAX_LOCATIONS = 1 << 20;
    static final int MAX_COMMENTS = 1 << 16;
    private static final Pattern INSTANCE = Pattern.compile("(.*):(\\d{1,10})(?: (.*))?");

    private final long limit;

    PprofReader() {
        this(-1);
    }

    /** A reader with its own limit on the uncompressed bytes (tests); -1: the configured one. */
    PprofReader(long limit) {
        this.limit = limit;
    }

    @Override
    public Profile read(InputStream in, String sourceName) throws IOException {
        // Decoded as it decompresses, never held whole: samples and locations are kept as their
        // own bytes (they can only be resolved once the string table, which comes last, is read),
        // everything else as it arrives; unknown fields are skipped as they stream by.
        CodedInputStream c = open(in, sourceName, limit >= 0 ? limit : InputLimits.maxInputBytes());
        List<Pprof.ValueType> sampleTypes = new ArrayList<>();
        ByteChunks samples = new ByteChunks();
        Map<Long, Long> mappingFile = new HashMap<>();
        Map<Long, byte[]> locations = new HashMap<>(); // as bytes: a parsed Location is several objects
        Map<Long, long[]> functions = new HashMap<>(); // id -> {name, system name}
        List<String> strings = new ArrayList<>();
        List<Long> comments = new ArrayList<>();
        long timeNanos = 0;
        long durationNanos = 0;
        long defaultType = 0;
        try {
            for (int tag; (tag = c.readTag()) != 0; ) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case Pprof.Profile.SAMPLE_TYPE_FIELD_NUMBER -> {
                        sampleTypes.add(Pprof.ValueType.parseFrom(elementBytes(c, sourceName)));
                        bound(sampleTypes.size(), MAX_COMMENTS, "sample types", sourceName);
                    }
                    case Pprof.Profile.SAMPLE_FIELD_NUMBER -> {
                        samples.add(elementBytes(c, sourceName));
                        bound(samples.count(), InputLimits.MAX_TABLE_ENTRIES, "samples", sourceName);
                    }
                    case Pprof.Profile.MAPPING_FIELD_NUMBER -> {
                        Pprof.Mapping m = Pprof.Mapping.parseFrom(elementBytes(c, sourceName));
                        mappingFile.put(m.getId(), m.getFilename());
                        bound(mappingFile.size(), MAX_LOCATIONS, "mappings", sourceName);
                    }
                    case Pprof.Profile.LOCATION_FIELD_NUMBER -> {
                        byte[] raw = elementBytes(c, sourceName);
                        locations.put(Pprof.Location.parseFrom(raw).getId(), raw);
                        bound(locations.size(), MAX_LOCATIONS, "locations", sourceName);
                    }
                    case Pprof.Profile.FUNCTION_FIELD_NUMBER -> {
                        Pprof.Function f = Pprof.Function.parseFrom(elementBytes(c, sourceName));
                        functions.put(f.getId(), new long[] {f.getName(), f.getSystemName()});
                        bound(functions.size(), MAX_LOCATIONS, "functions", sourceName);
                    }
                    case Pprof.Profile.STRING_TABLE_FIELD_NUMBER -> {
                        String text = new String(elementBytes(c, sourceName), java.nio.charset.StandardCharsets.UTF_8);
                        strings.add(text.isEmpty() ? "" : text);
                        bound(strings.size(), InputLimits.MAX_TABLE_ENTRIES, "strings", sourceName);
                    }
                    case Pprof.Profile.TIME_NANOS_FIELD_NUMBER -> timeNanos = c.readInt64();
                    case Pprof.Profile.DURATION_NANOS_FIELD_NUMBER -> durationNanos = c.readInt64();
                    case Pprof.Profile.COMMENT_FIELD_NUMBER -> {
                        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                            CodedInputStream m = CodedInputStream.newInstance(elementBytes(c, sourceName));
                            while (!m.isAtEnd()) {
                                comments.add(m.readInt64());
                                bound(comments.size(), MAX_COMMENTS, "comments", sourceName);
                            }
                        } else {
                            comments.add(c.readInt64());
                            bound(comments.size(), MAX_COMMENTS, "comments", sourceName);
                        }
                    }
                    case Pprof.Profile.DEFAULT_SAMPLE_TYPE_FIELD_NUMBER -> defaultType = c.readInt64();
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
            String type = s.get(sampleTypes.get(i).getType());
            for (EventType e : new EventType[] {EventType.CPU, EventType.WALL, EventType.ALLOC, EventType.LOCK, EventType.JDBC}) {
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
                if (defaultType != 0 && sampleTypes.get(i).getType() == defaultType) {
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
            Pprof.Sample sample;
            try {
                sample = Pprof.Sample.parseFrom(r.next());
            } catch (InvalidProtocolBufferException e) {
                throw new ProfileFormatException(sourceName + ": not a readable pprof profile (a malformed sample)", e);
            }
            if (sample.getValueCount() != n) {
                throw new ProfileFormatException(sourceName + ": a sample has " + sample.getValueCount() + " values for " + n + " sample types");
            }
            long instanceStr = 0;
            for (Pprof.Label label : sample.getLabelList()) {
                if (label.getStr() != 0 && s.get(label.getKey()).equals(PprofWriter.INSTANCE_LABEL)) {
                    instanceStr = label.getStr();
                }
            }
            Integer instance = instanceOf.get(instanceStr);
            if (instance == null) {
                instance = p.addInstance(instanceInfo(instanceStr == 0 ? null : s.get(instanceStr), sourceName, p.instances().size()));
                instanceOf.put(instanceStr, instance);
            }
            int depth = 0;
            for (int i = sample.getLocationIdCount() - 1; i >= 0; i--) {
                long locId = sample.getLocationId(i);
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
                long value = sample.getValue(i);
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
    private static int[] frames(Profile p, Pprof.Location loc, long id, Map<Long, long[]> functions, Map<Long, Long> mappingFile, Lookup s)
            throws ProfileFormatException {
        if (loc == null) {
            throw new ProfileFormatException(s.sourceName + ": a sample refers to unknown location " + id);
        }
        FrameKind mappedKind = null;
        Long file = mappingFile.get(loc.getMappingId());
        if (file != null) {
            String f = s.get(file);
            for (FrameKind k : FrameKind.values()) {
                if (k != FrameKind.UNRECOGNIZED && f.equals(PprofWriter.mappingFile(k))) {
                    mappedKind = k;
                }
            }
        }
        if (loc.getLineCount() == 0) {
            return new int[] {p.frame("0x" + Long.toHexString(id), mappedKind == null ? FrameKind.NATIVE : mappedKind, 0)};
        }
        int[] out = new int[loc.getLineCount()];
        for (int i = 0; i < out.length; i++) {
            Pprof.Line line = loc.getLine(out.length - 1 - i);
            long[] fn = functions.get(line.getFunctionId());
            if (fn == null) {
                throw new ProfileFormatException(s.sourceName + ": location " + id + " refers to unknown function " + line.getFunctionId());
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
            out[i] = p.frame(name, kind, typeOf(kind, name, systemName), (int) Math.max(0, Math.min(line.getLine(), 0x0fffffff)));
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

    /** A location decoded from its bytes when a sample first uses it. */
    private static Pprof.Location location(byte[] raw, String sourceName) throws ProfileFormatException {
        if (raw == null) {
            return null;
        }
        try {
            return Pprof.Location.parseFrom(raw);
        } catch (InvalidProtocolBufferException e) {
            throw new ProfileFormatException(sourceName + ": not a readable pprof profile (a malformed location)", e);
        }
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
