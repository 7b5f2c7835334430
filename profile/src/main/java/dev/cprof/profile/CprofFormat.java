package dev.cprof.profile;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.cprof.wire.Compression;
import dev.cprof.wire.CountingInputStream;
import dev.cprof.wire.proto.Dropped;
import dev.cprof.wire.proto.EventDesc;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.Frame;
import dev.cprof.wire.proto.InstanceInfo;
import dev.cprof.wire.proto.Node;
import dev.cprof.wire.proto.Value;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;

/**
 * The lossless format: one zstd frame holding a {@code cprof.v1.Profile} message with the
 * whole dictionary, tree, per-instance values and instance descriptions. Format 2 adds time
 * buckets: with a {@link Timeline}, each value is one bucket's; format 1 files (no buckets) still
 * read, as a profile without a timeline.
 */
final class CprofFormat implements ProfileWriter, ProfileReader {
    static final int FORMAT_VERSION = 2;
    /** A file's bucket index beyond this is refused (a 1 s bucket for 12 days). */
    static final int MAX_BUCKET = 1 << 20;

    @Override
    public void write(Profile p, OutputStream out, WriteOptions options) throws IOException {
        dev.cprof.wire.proto.Profile.Builder b = dev.cprof.wire.proto.Profile.newBuilder()
                .setFormatVersion(FORMAT_VERSION)
                .setStartTimeNs(p.startTimeNs())
                .setEndTimeNs(p.endTimeNs())
                .setDropped(p.dropped())
                .putAllMetadata(p.metadata());
        for (int i = 0; i < p.strings.size(); i++) {
            b.addStrings(p.strings.get(i));
        }
        for (int f = 0; f < p.frames.size(); f++) {
            b.addFrames(Frame.newBuilder().setName(p.frames.name(f)).setKind(p.frames.kind(f))
                    .setType(p.frames.type(f)).setLine(p.frames.line(f)));
        }
        for (EventType e : p.events()) {
            b.addEvents(EventDesc.newBuilder().setType(e).setUnit(Events.unit(e)));
        }
        b.addAllInstances(p.instances());
        for (int n = 1; n < p.tree.size(); n++) {
            b.addNodes(Node.newBuilder().setParent(p.tree.parent(n)).setFrame(p.tree.frame(n)));
        }
        ValueTable v = p.values;
        Timeline t = p.timeline();
        if (t == null) {
            for (int s = 0; s < v.size(); s++) {
                b.addValues(Value.newBuilder().setNode(v.node(s)).setInstance(v.instance(s))
                        .setEvent(v.event(s)).setCount(v.count(s)).setWeight(v.weight(s)));
            }
        } else {
            b.setBucketOriginNs(t.originNs()).setBucketNs(t.bucketNs());
            for (int e = 0; e < t.size(); e++) {
                int s = t.slot(e);
                b.addValues(Value.newBuilder().setNode(v.node(s)).setInstance(v.instance(s))
                        .setEvent(v.event(s)).setCount(t.count(e)).setWeight(t.weight(e)).setBucket(t.bucket(e)));
            }
        }
        out.write(Compression.compress(b.build().toByteArray()));
        out.flush();
    }

    @Override
    public Profile read(InputStream in, String sourceName) throws IOException {
        return read(in, sourceName, InputLimits.maxInputBytes());
    }

    /**
     * Decodes while it decompresses: the message is never held whole, each entry goes into the
     * profile's tables as it arrives (strings, frames and nodes interned, values summed), so a
     * file of repeated entries costs what its distinct entries cost, and the uncompressed bytes
     * are counted against {@code limit} as they come. Entries are expected in field order (every
     * protobuf writer, ours included, writes them so): a reference to a later entry is refused.
     */
    Profile read(InputStream in, String sourceName, long limit) throws IOException {
        CountingInputStream raw = new CountingInputStream(in);
        PushbackInputStream head = new PushbackInputStream(raw, 4);
        byte[] magic = head.readNBytes(4);
        if (magic.length == 0) {
            throw new ProfileFormatException(sourceName + ": empty file, not a .cprof profile");
        }
        if (magic.length < 4 || (magic[0] & 0xff) != 0x28 || (magic[1] & 0xff) != 0xb5 || (magic[2] & 0xff) != 0x2f
                || (magic[3] & 0xff) != 0xfd) {
            throw new ProfileFormatException(sourceName + ": not a .cprof file (its first bytes are not those of one)");
        }
        head.unread(magic);
        try (InputStream z = Compression.decompressing(head)) {
            InputStream plain = new InputLimits.Bounded(new InputLimits.Decoded(z, raw, sourceName, ".cprof"), limit, sourceName);
            CodedInputStream c = CodedInputStream.newInstance(plain, 1 << 16);
            c.setSizeLimit(Integer.MAX_VALUE);
            try {
                return decode(c, sourceName);
            } catch (InvalidProtocolBufferException e) {
                // protobuf's own words (an "invalid tag (zero)") say nothing to a user
                throw new ProfileFormatException(sourceName + ": not a .cprof profile (malformed data near byte "
                        + c.getTotalBytesRead() + " of its uncompressed content; corrupt, or another kind of file)", e);
            }
        }
    }

    private static Profile decode(CodedInputStream c, String sourceName) throws IOException {
        Profile p = new Profile();
        IntList stringMap = new IntList();
        IntList frameMap = new IntList();
        IntList nodeMap = new IntList();
        nodeMap.add(StackTree.ROOT);
        int instances = 0;
        long[] scratch = new long[6];
        int version = 0;
        boolean checked = false;
        long bucketOrigin = 0;
        long bucketNs = 0;
        for (int tag; (tag = c.readTag()) != 0; ) {
            int field = WireFormat.getTagFieldNumber(tag);
            boolean scalar = field == 1 || field == 8 || field == 9 || field == 12 || field == 13;
            if (field <= 13 && WireFormat.getTagWireType(tag) != (scalar ? WireFormat.WIRETYPE_VARINT : WireFormat.WIRETYPE_LENGTH_DELIMITED)) {
                throw new InvalidProtocolBufferException("wire type");
            }
            if (field == 1) {
                version = (int) c.readUInt32();
                continue;
            }
            if (!checked) {
                checkVersion(version, sourceName);
                checked = true;
                if (version >= 2) {
                    // Values may be per bucket; the geometry (fields 12, 13) comes after them in
                    // field order, so buckets are kept as indexes and the geometry set at the end.
                    p.keepTime(new Timeline(1, Integer.MAX_VALUE, Integer.MAX_VALUE));
                }
            }
            switch (field) {
                case 2 -> {
                    String s = new String(element(c, sourceName), StandardCharsets.UTF_8);
                    stringMap.add(p.strings.intern(s), "strings", sourceName);
                }
                case 3 -> {
                    Frame fr = Frame.parseFrom(element(c, sourceName));
                    frameMap.add(p.frames.intern(lookup(stringMap, fr.getName(), "string", sourceName), fr.getKind(), fr.getType(), fr.getLine()),
                            "frames", sourceName);
                }
                case 4 -> {
                    EventDesc e = EventDesc.parseFrom(element(c, sourceName));
                    if (!Events.known(e.getTypeValue())) {
                        throw new ProfileFormatException(sourceName + ": declares event type " + e.getTypeValue() + ", unknown to this cprof");
                    }
                    p.declareEvent(e.getType());
                }
                case 5 -> {
                    if (instances == InputLimits.MAX_INSTANCES) {
                        throw InputLimits.tooManyEntries(sourceName, "instances", InputLimits.MAX_INSTANCES);
                    }
                    p.addInstance(InstanceInfo.parseFrom(element(c, sourceName)));
                    instances++;
                }
                case 6 -> {
                    // nodes and values are the bulk of a file: decoded in place, no object each
                    long[] node = varints(c, scratch, 2, sourceName);
                    int n = nodeMap.size() - 1;
                    if (node[0] > n) {
                        throw new ProfileFormatException(sourceName + ": node " + (n + 1) + " refers to a later parent " + node[0]);
                    }
                    nodeMap.add(p.tree.child(nodeMap.get((int) node[0]), lookup(frameMap, (int) node[1], "frame", sourceName)),
                            "nodes", sourceName);
                }
                case 7 -> {
                    long[] v = varints(c, scratch, 6, sourceName); // node, instance, event, count, weight, bucket
                    if (v[1] >= Math.max(1, instances) || v[2] > Integer.MAX_VALUE || !Events.known((int) v[2])) {
                        throw new ProfileFormatException(sourceName + ": a value refers to an unknown instance or event");
                    }
                    int node = lookup(nodeMap, (int) Math.min(v[0], Integer.MAX_VALUE), "node", sourceName);
                    if (p.timeline() == null) {
                        p.addValue(node, (int) v[1], EventType.forNumber((int) v[2]), v[3], v[4]);
                    } else if (v[5] > MAX_BUCKET) {
                        throw new ProfileFormatException(sourceName + ": a value's time bucket " + v[5] + " is beyond " + MAX_BUCKET);
                    } else {
                        p.addValueInBucket(node, (int) v[1], EventType.forNumber((int) v[2]), v[3], v[4], (int) v[5]);
                    }
                }
                case 8, 9 -> {
                    long t = c.readUInt64();
                    p.coverTime(field == 8 ? t : 0, field == 9 ? t : 0);
                }
                case 12 -> bucketOrigin = c.readUInt64();
                case 13 -> bucketNs = c.readUInt64();
                case 10 -> p.addDropped(Dropped.parseFrom(element(c, sourceName)));
                case 11 -> {
                    CodedInputStream e = CodedInputStream.newInstance(element(c, sourceName));
                    String key = "";
                    String value = "";
                    for (int t; (t = e.readTag()) != 0; ) {
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> key = e.readStringRequireUtf8();
                            case 2 -> value = e.readStringRequireUtf8();
                            default -> e.skipField(t);
                        }
                    }
                    p.metadata().put(key, value);
                }
                default -> c.skipField(tag); // skipped as it streams by, never kept
            }
        }
        checkVersion(version, sourceName);
        if (p.timeline() != null) {
            if (bucketNs <= 0 || bucketOrigin > Long.MAX_VALUE / 2 || bucketNs > Long.MAX_VALUE / (2L * MAX_BUCKET)) {
                p.forgetTime(); // written without buckets (or with a geometry no clock has): the values are the aggregate
            } else {
                p.timeline().geometry(bucketOrigin, bucketNs);
            }
        }
        return p;
    }

    private static void checkVersion(int version, String sourceName) throws ProfileFormatException {
        if (version > FORMAT_VERSION) {
            throw new ProfileFormatException(sourceName + ": written by a newer cprof (.cprof format version " + version
                    + "; this cprof reads versions 1 to " + FORMAT_VERSION + "): convert it with that cprof, or upgrade");
        }
        if (version < 1) {
            throw new ProfileFormatException(sourceName + ": .cprof format version " + version + " is not supported (this cprof reads 1 to " + FORMAT_VERSION + ")");
        }
    }

    /**
     * The varint fields 1..n of a sub-message of varints only, read in place (uint32 fields
     * are masked to 32 bits as protobuf does); other fields are skipped.
     */
    private static long[] varints(CodedInputStream c, long[] out, int n, String sourceName) throws IOException {
        int length = c.readRawVarint32();
        if (length < 0 || length > InputLimits.MAX_ELEMENT_BYTES) {
            throw InputLimits.elementTooLarge(sourceName, length & 0xffffffffL, InputLimits.MAX_ELEMENT_BYTES);
        }
        java.util.Arrays.fill(out, 0);
        int old = c.pushLimit(length);
        for (int t; (t = c.readTag()) != 0; ) {
            int f = WireFormat.getTagFieldNumber(t);
            if (f >= 1 && f <= n && WireFormat.getTagWireType(t) == WireFormat.WIRETYPE_VARINT) {
                long v = c.readRawVarint64();
                out[f - 1] = f <= 3 || f == 6 ? v & 0xffffffffL : v;
            } else {
                c.skipField(t);
            }
        }
        c.popLimit(old);
        return out;
    }

    /** One length-delimited entry, refused over the limit before anything is allocated for it. */
    private static byte[] element(CodedInputStream c, String sourceName) throws IOException {
        int length = c.readRawVarint32();
        if (length < 0 || length > InputLimits.MAX_ELEMENT_BYTES) {
            throw InputLimits.elementTooLarge(sourceName, length & 0xffffffffL, InputLimits.MAX_ELEMENT_BYTES);
        }
        return c.readRawBytes(length); // from a stream: read in chunks as they arrive, not allocated from the length
    }

    private static int lookup(IntList map, int id, String what, String sourceName) throws ProfileFormatException {
        if (id < 0 || id >= map.size()) {
            throw new ProfileFormatException(sourceName + ": refers to unknown " + what + " " + id);
        }
        return map.get(id);
    }

    /** A growing int array in pages (no copy on growth), bounded by {@link InputLimits#MAX_TABLE_ENTRIES}. */
    static final class IntList {
        private static final int PAGE = 1 << 16;
        private int[][] pages = new int[16][];
        private int size;

        void add(int v) {
            int page = size / PAGE;
            if (page == pages.length) {
                pages = java.util.Arrays.copyOf(pages, page * 2);
            }
            if (pages[page] == null) {
                pages[page] = new int[PAGE];
            }
            pages[page][size++ % PAGE] = v;
        }

        void add(int v, String what, String sourceName) throws ProfileFormatException {
            if (size > InputLimits.MAX_TABLE_ENTRIES) {
                throw InputLimits.tooManyEntries(sourceName, what, InputLimits.MAX_TABLE_ENTRIES);
            }
            add(v);
        }

        int get(int i) {
            return pages[i / PAGE][i % PAGE];
        }

        int size() {
            return size;
        }
    }
}
