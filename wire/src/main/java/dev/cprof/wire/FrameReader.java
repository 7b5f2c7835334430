package dev.cprof.wire;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.cprof.wire.proto.Envelope;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads frames written by {@link FrameWriter}. Every malformed input becomes a
 * {@link WireException}; sizes are checked before buffers are allocated.
 */
public final class FrameReader {
    private final InputStream in;
    private final boolean compressed;
    private long bytesRead;

    public FrameReader(InputStream in, boolean compressed) {
        this.in = in;
        this.compressed = compressed;
    }

    /** The next message, or null at a clean end of stream (between frames). */
    public Envelope read() throws IOException {
        byte[] plain = readRaw();
        if (plain == null) {
            return null;
        }
        try {
            return Envelope.parseFrom(plain);
        } catch (InvalidProtocolBufferException e) {
            throw new WireException("malformed message: " + e.getMessage(), e);
        }
    }

    /** The next frame's decompressed bytes, or null at a clean end of stream. */
    public byte[] readRaw() throws IOException {
        long length = readLength();
        if (length < 0) {
            return null;
        }
        if (length > Limits.MAX_FRAME_BYTES) {
            throw new WireException("frame of " + length + " bytes is over the limit of " + Limits.MAX_FRAME_BYTES);
        }
        byte[] payload = in.readNBytes((int) length);
        if (payload.length != length) {
            throw new WireException("truncated frame: expected " + length + " bytes, got " + payload.length);
        }
        bytesRead += payload.length;
        return compressed ? Compression.decompress(payload, Limits.MAX_DECOMPRESSED_BYTES) : payload;
    }

    private long readLength() throws IOException {
        long value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = in.read();
            if (b < 0) {
                if (shift == 0) {
                    return -1;
                }
                throw new WireException("truncated frame length");
            }
            bytesRead++;
            value |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new WireException("malformed frame length: varint longer than 5 bytes");
    }

    public long bytesRead() {
        return bytesRead;
    }

    /** Like {@link #read()} but a clean end of stream is an error too. */
    public Envelope readRequired() throws IOException {
        Envelope e = read();
        if (e == null) {
            throw new EOFException("connection closed by the other side");
        }
        return e;
    }
}
