package dev.cprof.wire;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdIOException;
import com.github.luben.zstd.ZstdInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.cprof.wire.proto.Envelope;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads frames written by {@link FrameWriter}. Every malformed input becomes a
 * {@link WireException}; sizes are checked before buffers are allocated. With
 * {@code compressed} the input is one zstd stream whose window may not exceed
 * 2^{@link Limits#MAX_ZSTD_WINDOW_LOG}, so a hostile stream cannot make us allocate.
 */
public final class FrameReader {
    private final boolean compressed;
    private final CountingInputStream counting;
    private InputStream in; // plain: the given stream; compressed: the zstd stream over it, created on the first read
    private long bytesRead;
    private int maxMessageBytes;

    public FrameReader(InputStream in, boolean compressed) {
        this.compressed = compressed;
        this.maxMessageBytes = compressed ? Limits.MAX_DECOMPRESSED_BYTES : Limits.MAX_FRAME_BYTES;
        this.counting = compressed ? new CountingInputStream(in) : null;
        this.in = compressed ? null : in;
    }

    /**
     * Refuses messages over {@code maxBytes} from now on (at most the hard limits): before a
     * client has authenticated, a few KB of zstd must not make the peer decompress 64 MB.
     */
    public void limitMessages(int maxBytes) {
        maxMessageBytes = Math.min(maxBytes, compressed ? Limits.MAX_DECOMPRESSED_BYTES : Limits.MAX_FRAME_BYTES);
    }

    /** The next message, or null at a clean end of stream (between frames). */
    public Envelope read() throws IOException {
        byte[] plain = readRaw();
        return plain == null ? null : parse(plain);
    }

    /** One frame's bytes from {@link #readRaw()} as an Envelope; malformed bytes are a {@link WireException}. */
    public Envelope parse(byte[] plain) throws WireException {
        try {
            return Envelope.parseFrom(plain);
        } catch (InvalidProtocolBufferException e) {
            // protobuf's own words ("invalid tag (zero)") mean nothing to the user who sees this
            throw new WireException("malformed message of " + plain.length + " bytes ending at byte " + bytesRead + " of the stream", e);
        }
    }

    /** The next frame's decompressed bytes, or null at a clean end of stream. */
    public byte[] readRaw() throws IOException {
        try {
            return compressed ? readCompressed() : readPlain();
        } catch (ZstdIOException e) {
            if (e.getErrorCode() == Zstd.errFrameParameterWindowTooLarge()) {
                throw new WireException("compressed stream asking for a window over " + (1 << (Limits.MAX_ZSTD_WINDOW_LOG - 20)) + " MB; refused", e);
            }
            throw new WireException("corrupt compressed stream near byte " + counting.count() + " (not a cprof peer, or cut)", e);
        } finally {
            if (compressed) {
                bytesRead = counting.count();
            }
        }
    }

    private byte[] readPlain() throws IOException {
        long length = readLength();
        if (length < 0) {
            return null;
        }
        if (length > maxMessageBytes) {
            throw new WireException("frame of " + length + " bytes is over the limit of " + maxMessageBytes);
        }
        byte[] payload = readUpTo(in, (int) length);
        if (payload.length != length) {
            throw new WireException("truncated frame: expected " + length + " bytes, got " + payload.length);
        }
        bytesRead += payload.length;
        return payload;
    }

    private byte[] readCompressed() throws IOException {
        if (in == null) {
            // Continuous: the end of the socket between two frames is a clean end, though the
            // writer never ends its zstd frame; inside a frame it shows up as a short read.
            in = new ZstdInputStream(counting).setContinuous(true).setLongMax(Limits.MAX_ZSTD_WINDOW_LOG);
        }
        long length = readLength();
        if (length < 0) {
            return null;
        }
        if (length > maxMessageBytes) {
            throw new WireException("message of " + length + " bytes is over the limit of " + maxMessageBytes);
        }
        byte[] payload = readUpTo(in, (int) length);
        if (payload.length != length) {
            throw new WireException("truncated frame: expected " + length + " bytes, got " + payload.length);
        }
        return payload;
    }

    /**
     * Up to {@code length} bytes, fewer at the end of the stream. The buffer grows with what
     * arrives, never from the declared length alone, and in place (readNBytes would hold the
     * bytes twice, in its chunks and in the copy it returns).
     */
    private static byte[] readUpTo(InputStream in, int length) throws IOException {
        byte[] buf = new byte[Math.min(length, 1 << 16)];
        int n = 0;
        while (n < length) {
            if (n == buf.length) {
                buf = Arrays.copyOf(buf, (int) Math.min(length, buf.length * 2L));
            }
            int k = in.read(buf, n, buf.length - n);
            if (k < 0) {
                break;
            }
            n += k;
        }
        return n == buf.length ? buf : Arrays.copyOf(buf, n);
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
            if (!compressed) {
                bytesRead++;
            }
            value |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new WireException("malformed frame length: varint longer than 5 bytes");
    }

    /** Bytes taken from the underlying stream (compressed bytes, when compressed). */
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
