package dev.cprof.wire;

import dev.cprof.wire.proto.Envelope;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes length-prefixed frames: a varint byte count, then the payload (zstd-compressed when
 * {@code compressed}, as on TCP; plain on local Unix sockets). Counts the bytes it wrote.
 */
public final class FrameWriter {
    private final OutputStream out;
    private final boolean compressed;
    private long bytesWritten;

    public FrameWriter(OutputStream out, boolean compressed) {
        this.out = out;
        this.compressed = compressed;
    }

    public synchronized void write(Envelope message) throws IOException {
        writeRaw(message.toByteArray());
    }

    /** Writes an already serialized Envelope (lets a relay forward without re-encoding). */
    public synchronized void writeRaw(byte[] plain) throws IOException {
        if (plain.length > Limits.MAX_DECOMPRESSED_BYTES) {
            throw new WireException("message of " + plain.length + " bytes is over the limit of " + Limits.MAX_DECOMPRESSED_BYTES);
        }
        byte[] payload = compressed ? Compression.compress(plain) : plain;
        if (payload.length > Limits.MAX_FRAME_BYTES) {
            throw new WireException("frame of " + payload.length + " bytes is over the limit of " + Limits.MAX_FRAME_BYTES);
        }
        byte[] prefix = new byte[5];
        int n = Varint.encode(payload.length, prefix);
        out.write(prefix, 0, n);
        out.write(payload);
        out.flush();
        bytesWritten += n + payload.length;
    }

    public synchronized long bytesWritten() {
        return bytesWritten;
    }
}
