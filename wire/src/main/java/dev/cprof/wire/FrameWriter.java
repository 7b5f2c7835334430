package dev.cprof.wire;

import com.github.luben.zstd.ZstdOutputStream;
import dev.cprof.wire.proto.Envelope;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes length-prefixed frames: a varint byte count, then the Envelope. Plain on local Unix
 * sockets. With {@code compressed} (TCP) the whole connection direction is one zstd stream
 * (prefixes included), flushed after every frame: each frame is decodable as soon as it
 * arrives, and later frames compress against earlier ones (repeated names, stacks, headers),
 * which a zstd frame per message could not. Counts the bytes it wrote to {@code out}
 * (compressed bytes, when compressed).
 */
public final class FrameWriter {
    private final OutputStream out;
    private final boolean compressed;
    private final Counting counting;
    private ZstdOutputStream zstd; // compressed: created on the first write
    private long bytesWritten;

    public FrameWriter(OutputStream out, boolean compressed) {
        this.out = out;
        this.compressed = compressed;
        this.counting = compressed ? new Counting(out) : null;
    }

    public synchronized void write(Envelope message) throws IOException {
        writeRaw(message.toByteArray());
    }

    /** Writes an already serialized Envelope (lets a relay forward without re-encoding). */
    public synchronized void writeRaw(byte[] plain) throws IOException {
        writeRaw(plain, EMPTY);
    }

    /**
     * Writes one frame holding {@code plain} followed by {@code tail}, two serialized pieces of one
     * Envelope (protobuf reads their concatenation as their merge): how a peer relays an agent's
     * batch with its instance id appended ({@link RelayedBatch}), copying neither.
     */
    public synchronized void writeRaw(byte[] plain, byte[] tail) throws IOException {
        long length = (long) plain.length + tail.length;
        if (length > Limits.MAX_DECOMPRESSED_BYTES) {
            throw new WireException("message of " + length + " bytes is over the limit of " + Limits.MAX_DECOMPRESSED_BYTES);
        }
        if (!compressed && length > Limits.MAX_FRAME_BYTES) {
            throw new WireException("frame of " + length + " bytes is over the limit of " + Limits.MAX_FRAME_BYTES);
        }
        byte[] prefix = new byte[5];
        int n = Varint.encode((int) length, prefix);
        if (compressed) {
            if (zstd == null) {
                zstd = new ZstdOutputStream(counting, Compression.STREAM_LEVEL);
                zstd.setWindowLog(Limits.ZSTD_WINDOW_LOG);
            }
            zstd.write(prefix, 0, n);
            zstd.write(plain);
            zstd.write(tail);
            zstd.flush(); // ZSTD_e_flush: the frame's last byte leaves now; then out.flush()
            bytesWritten = counting.count;
        } else {
            out.write(prefix, 0, n);
            out.write(plain);
            out.write(tail);
            out.flush();
            bytesWritten += n + length;
        }
    }

    private static final byte[] EMPTY = new byte[0];

    public synchronized long bytesWritten() {
        return bytesWritten;
    }

    /** Counts what reaches the underlying stream. */
    private static final class Counting extends FilterOutputStream {
        long count;

        Counting(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
