package dev.cprof.wire;

final class Varint {
    private Varint() {}

    /** Writes {@code value} (non-negative int) as a base-128 varint; returns its length. */
    static int encode(int value, byte[] out) {
        int i = 0;
        while ((value & ~0x7f) != 0) {
            out[i++] = (byte) ((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out[i++] = (byte) value;
        return i;
    }
}
