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
    /**
     * Version a client carries in its Hello to a peer; a mismatch is refused. 2: columnar samples
     * (SampleGroup), one zstd stream per TCP direction. 3: a relayed batch names its instance in
     * Envelope.relay_instance_id instead of Batch.instance_id (a peer of 2 and a client of 3 would
     * not find each other's batches, so they refuse each other). 4: the JDBC event (a client of 3
     * would refuse a batch with its sample group).
     */
    public static final int PROTOCOL_VERSION = 4;
    /**
     * Version carried in the Hello to an agent (CPROF_PROTOCOL_VERSION in the agent's protocol.h);
     * a mismatch is refused. 2 as above; protocol 3 changed only the peer-to-client hop, so an
     * agent already loaded into a JVM keeps serving newer peers. 3: the JDBC event (an agent of 2
     * would start a session asking for it without it).
     */
    public static final int AGENT_PROTOCOL_VERSION = 3;

    private Limits() {}
}
