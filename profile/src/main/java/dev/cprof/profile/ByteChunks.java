package dev.cprof.profile;

import java.util.ArrayList;
import java.util.List;

/**
 * Byte strings appended one after another into 1 MB chunks: a reader keeps entries it can only
 * resolve later at the cost of their bytes (no object per entry, no array doubling), then reads
 * them back in order.
 */
final class ByteChunks {
    private static final int CHUNK = 1 << 20;
    private final List<byte[]> chunks = new ArrayList<>();
    private byte[] current;
    private int pos;
    private long count;

    void add(byte[] entry) {
        writeVarint(entry.length);
        for (int off = 0; off < entry.length; ) {
            int n = Math.min(entry.length - off, room());
            System.arraycopy(entry, off, current, pos, n);
            pos += n;
            off += n;
        }
        count++;
    }

    long count() {
        return count;
    }

    private int room() {
        if (current == null || pos == current.length) {
            current = new byte[CHUNK];
            chunks.add(current);
            pos = 0;
        }
        return current.length - pos;
    }

    private void writeVarint(int v) {
        while (true) {
            room();
            if ((v & ~0x7f) == 0) {
                current[pos++] = (byte) v;
                return;
            }
            current[pos++] = (byte) ((v & 0x7f) | 0x80);
            v >>>= 7;
        }
    }

    Reader reader() {
        return new Reader();
    }

    /** The entries in the order they were added. */
    final class Reader {
        private int chunk;
        private int at;
        private long left = count;

        boolean hasNext() {
            return left > 0;
        }

        byte[] next() {
            int length = 0;
            for (int shift = 0; ; shift += 7) {
                int b = nextByte();
                length |= (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    break;
                }
            }
            byte[] out = new byte[length];
            for (int off = 0; off < length; ) {
                if (at == CHUNK) {
                    chunk++;
                    at = 0;
                }
                int n = Math.min(length - off, CHUNK - at);
                System.arraycopy(chunks.get(chunk), at, out, off, n);
                at += n;
                off += n;
            }
            left--;
            return out;
        }

        private int nextByte() {
            if (at == CHUNK) {
                chunk++;
                at = 0;
            }
            return chunks.get(chunk)[at++] & 0xff;
        }
    }
}
