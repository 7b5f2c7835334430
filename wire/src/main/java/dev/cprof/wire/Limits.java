package dev.cprof.wire;

/** Hard limits on every frame; anything larger is refused before it is allocated. */
public final class Limits {
    /** Largest frame on the wire (after compression, if any). */
    public static final int MAX_FRAME_BYTES = 16 << 20;
    /** Largest decompressed frame: a decompression bomb is refused, not allocated. */
    public static final int MAX_DECOMPRESSED_BYTES = 64 << 20;
    /** Version carried in Hello; a mismatch is refused. */
    public static final int PROTOCOL_VERSION = 1;

    private Limits() {}
}
