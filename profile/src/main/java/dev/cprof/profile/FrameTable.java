package dev.cprof.profile;

import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.FrameType;
import java.util.Arrays;

/**
 * Interned frames: (name string id, kind, type, line) → dense frame id. The type is part of a
 * frame's identity: a method interpreted in one stack and JIT-compiled in another is two frames,
 * as the agent sends them.
 */
public final class FrameTable {
    private static final FrameKind[] KINDS = FrameKind.values();
    private static final FrameType[] TYPES = FrameType.values();
    /** Lines are keyed by their low 25 bits (the rest of the key holds kind and type); Java's are 16-bit. */
    private static final long LINE_MASK = (1L << 25) - 1;
    private int[] names = new int[1024];
    private byte[] kinds = new byte[1024];
    private byte[] types = new byte[1024];
    private int[] lines = new int[1024];
    private int size;
    private final LongIntMap ids = new LongIntMap(1024);

    /** A frame of unspecified type. */
    public int intern(int nameId, FrameKind kind, int line) {
        return intern(nameId, kind, FrameType.FRAME_TYPE_UNSPECIFIED, line);
    }

    public int intern(int nameId, FrameKind kind, FrameType type, int line) {
        if (kind == null || kind == FrameKind.UNRECOGNIZED) {
            // A kind this build does not know (a newer agent): keep the frame, without a colour.
            kind = FrameKind.FRAME_KIND_UNSPECIFIED;
        }
        if (type == null || type == FrameType.UNRECOGNIZED) {
            type = FrameType.FRAME_TYPE_UNSPECIFIED; // the same for a type from a newer agent
        }
        long key = ((long) nameId << 32) | ((long) kind.getNumber() << 28) | ((long) type.getNumber() << 25) | (line & LINE_MASK);
        int id = ids.get(key);
        if (id < 0) {
            id = size++;
            if (id == names.length) {
                names = Arrays.copyOf(names, id * 2);
                kinds = Arrays.copyOf(kinds, id * 2);
                types = Arrays.copyOf(types, id * 2);
                lines = Arrays.copyOf(lines, id * 2);
            }
            names[id] = nameId;
            kinds[id] = (byte) kind.getNumber();
            types[id] = (byte) type.getNumber();
            lines[id] = line;
            ids.putNew(key, id);
        }
        return id;
    }

    public int name(int frame) {
        return names[frame];
    }

    public FrameKind kind(int frame) {
        return KINDS[kinds[frame]];
    }

    public FrameType type(int frame) {
        return TYPES[types[frame]];
    }

    public int line(int frame) {
        return lines[frame];
    }

    public int size() {
        return size;
    }
}
