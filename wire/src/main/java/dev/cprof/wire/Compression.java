package dev.cprof.wire;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;

/**
 * zstd of one self-contained blob (the .cprof file), with the decompressed size bounded before
 * anything is allocated. TCP streams use one zstd stream per direction instead ({@link FrameWriter}).
 */
public final class Compression {
    private static final int LEVEL = 3;
    /** Level of the TCP streams. */
    static final int STREAM_LEVEL = 3;
    /** ZSTD_CONTENTSIZE_UNKNOWN as zstd-jni returns it; other negatives are errors. */
    private static final long CONTENTSIZE_UNKNOWN = -1;

    private Compression() {}

    public static byte[] compress(byte[] plain) {
        return Zstd.compress(plain, LEVEL);
    }

    /**
     * Decompresses one zstd frame whose header must declare its content size, and refuses
     * sizes above {@code limit} before allocating the output.
     */
    public static byte[] decompress(byte[] compressed, int limit) throws WireException {
        long size;
        try {
            size = Zstd.getFrameContentSize(compressed);
        } catch (RuntimeException e) {
            throw new WireException("corrupt zstd frame: " + e.getMessage(), e);
        }
        if (size == CONTENTSIZE_UNKNOWN) {
            throw new WireException("zstd frame does not declare its size; refused");
        }
        if (size < 0) {
            throw new WireException("corrupt zstd frame: bad header");
        }
        if (size > limit) {
            throw new WireException("zstd frame would decompress to " + size + " bytes, over the limit of " + limit);
        }
        byte[] out = new byte[(int) size];
        try (ZstdDecompressCtx ctx = new ZstdDecompressCtx()) {
            int n = ctx.decompressByteArray(out, 0, out.length, compressed, 0, compressed.length);
            if (n != size) {
                throw new WireException("zstd frame decompressed to " + n + " bytes, header said " + size);
            }
        } catch (ZstdException e) {
            throw new WireException("corrupt zstd frame: " + e.getMessage(), e);
        }
        return out;
    }
}
