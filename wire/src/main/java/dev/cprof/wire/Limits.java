package dev.cprof.wire;

/** Hard limits on every frame; anything larger is refused before it is allocated. */
public final class Limits {
    /** Largest frame on a plain (uncompressed) stream. */
    public static final int MAX_FRAME_BYTES = 16 << 20;
    /** Largest message (decompressed): a decompression bomb is refused, not allocated. */
    public static final int MAX_DECOMPRESSED_BYTES = 64 << 20;
    /** Largest message before the other side has authenticated (Hello, AuthResponse: a few hundred bytes). */
    public static final int MAX_HANDSHAKE_BYTES = 64 << 10;
    /**
     * zstd window of a compressed stream (2^17 = 128 KiB, several minutes of batches): the
     * receiver keeps one window per connection, so a CLI with 1,000 peers holds about 250 MB.
     */
    public static final int ZSTD_WINDOW_LOG = 17;
    /** Largest zstd window a reader accepts (2^20 = 1 MiB); a stream asking for more is refused. */
    public static final int MAX_ZSTD_WINDOW_LOG = 20;
    /** Version carried in Hello; a mismatch is refused. 2: columnar samples (SampleGroup), one zstd stream per TCP direction. */
    public static final int PROTOCOL_VERSION = 2;

    private Limits() {}
}
