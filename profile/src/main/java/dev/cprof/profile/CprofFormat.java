package dev.cprof.profile;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.cprof.wire.Compression;
import dev.cprof.wire.WireException;
import dev.cprof.wire.proto.EventDesc;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.Frame;
import dev.cprof.wire.proto.InstanceInfo;
import dev.cprof.wire.proto.Node;
import dev.cprof.wire.proto.Value;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The lossless format: one zstd frame holding a {@code cprof.v1.Profile} message with the
 * whole dictionary, tree, per-instance values and instance descriptions.
 */
final class CprofFormat implements ProfileWriter, ProfileReader {
    static final int FORMAT_VERSION = 1;
    /** Files are read whole; this bounds what a corrupt or hostile header can make us allocate. */
    static final int MAX_FILE_BYTES = 1 << 30;

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
        for (int s = 0; s < v.size(); s++) {
            b.addValues(Value.newBuilder().setNode(v.node(s)).setInstance(v.instance(s))
                    .setEvent(v.event(s)).setCount(v.count(s)).setWeight(v.weight(s)));
        }
        out.write(Compression.compress(b.build().toByteArray()));
        out.flush();
    }

    @Override
    public Profile read(InputStream in, String sourceName) throws IOException {
        byte[] compressed = in.readNBytes(MAX_FILE_BYTES);
        dev.cprof.wire.proto.Profile m;
        try {
            m = dev.cprof.wire.proto.Profile.parseFrom(Compression.decompress(compressed, MAX_FILE_BYTES));
        } catch (WireException e) {
            throw new ProfileFormatException(sourceName + ": not a readable .cprof file (truncated or corrupt: " + e.getMessage() + ")", e);
        } catch (InvalidProtocolBufferException e) {
            throw new ProfileFormatException(sourceName + ": not a readable .cprof file (bad profile message: " + e.getMessage() + ")", e);
        }
        if (m.getFormatVersion() != FORMAT_VERSION) {
            throw new ProfileFormatException(sourceName + ": .cprof format version " + m.getFormatVersion() + " is not supported (this cprof reads " + FORMAT_VERSION + ")");
        }
        Profile p = new Profile();
        int[] stringMap = new int[m.getStringsCount()];
        for (int i = 0; i < stringMap.length; i++) {
            stringMap[i] = p.strings.intern(m.getStrings(i));
        }
        int[] frameMap = new int[m.getFramesCount()];
        for (int f = 0; f < frameMap.length; f++) {
            Frame fr = m.getFrames(f);
            frameMap[f] = p.frames.intern(lookup(stringMap, fr.getName(), "string", sourceName), fr.getKind(), fr.getType(), fr.getLine());
        }
        int[] nodeMap = new int[m.getNodesCount() + 1];
        for (int n = 0; n < m.getNodesCount(); n++) {
            Node node = m.getNodes(n);
            if (node.getParent() > n) {
                throw new ProfileFormatException(sourceName + ": node " + (n + 1) + " refers to a later parent " + node.getParent());
            }
            nodeMap[n + 1] = p.tree.child(nodeMap[node.getParent()], lookup(frameMap, node.getFrame(), "frame", sourceName));
        }
        for (InstanceInfo i : m.getInstancesList()) {
            p.addInstance(i);
        }
        for (EventDesc e : m.getEventsList()) {
            if (!Events.known(e.getTypeValue())) {
                throw new ProfileFormatException(sourceName + ": declares event type " + e.getTypeValue() + ", unknown to this cprof");
            }
            p.declareEvent(e.getType());
        }
        for (Value v : m.getValuesList()) {
            if (v.getInstance() < 0 || v.getInstance() >= Math.max(1, m.getInstancesCount()) || !Events.known(v.getEventValue())) {
                throw new ProfileFormatException(sourceName + ": a value refers to an unknown instance or event");
            }
            p.addValue(lookup(nodeMap, v.getNode(), "node", sourceName), v.getInstance(), v.getEvent(), v.getCount(), v.getWeight());
        }
        p.coverTime(m.getStartTimeNs(), m.getEndTimeNs());
        p.addDropped(m.getDropped());
        p.metadata().putAll(m.getMetadataMap());
        return p;
    }

    private static int lookup(int[] map, int id, String what, String sourceName) throws ProfileFormatException {
        if (id < 0 || id >= map.length) {
            throw new ProfileFormatException(sourceName + ": refers to unknown " + what + " " + id);
        }
        return map[id];
    }
}
