package dev.cprof.profile;

import dev.cprof.wire.proto.FrameKind;
import java.util.Arrays;

/** Interned frames: (name string id, kind, line) → dense frame id. */
public final class FrameTable {
    private static final FrameKind[] KINDS = FrameKind.values();
    private int[] names = new int[1024];
    private byte[] kinds = new byte[1024];
    private int[] lines = new int[1024];
    private int size;
    private final LongIntMap ids = new LongIntMap(1024);

    public int intern(int nameId, FrameKind kind, int line) {
        if (kind == FrameKind.UNRECOGNIZED) {
            // A kind this build does not know (a newer agent): keep the frame, without a colour.
            kind = FrameKind.FRAME_KIND_UNSPECIFIED;
        }
        long key = ((long) nameId << 32) | ((long) kind.getNumber() << 28) | (line & 0x0fffffffL);
        int id = ids.get(key);
        if (id < 0) {
            id = size++;
            if (id == names.length) {
                names = Arrays.copyOf(names, id * 2);
                kinds = Arrays.copyOf(kinds, id * 2);
                lines = Arrays.copyOf(lines, id * 2);
            }
            names[id] = nameId;
            kinds[id] = (byte) kind.getNumber();
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

    public int line(int frame) {
        return lines[frame];
    }

    public int size() {
        return size;
    }
}
