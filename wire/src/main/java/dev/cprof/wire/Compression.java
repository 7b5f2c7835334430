package dev.cprof.wire;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import com.github.luben.zstd.ZstdIOException;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;

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
     * sizes above {@code limit}. The output grows with what really decompresses, not with the
     * declared size: a 100-byte file declaring 1 GiB must not make us allocate 1 GiB.
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
        byte[] out;
        // No finalizer: a finalizable stream keeps its 128 KB buffer until the finalizer thread
        // gets to it, and reading many files fast then runs out of heap (found by fuzzing).
        try (ZstdInputStreamNoFinalizer in = new ZstdInputStreamNoFinalizer(new ByteArrayInputStream(compressed))) {
            out = in.readNBytes((int) size);
            if (out.length == size && in.read() >= 0) {
                throw new WireException("zstd frame decompresses to more than the " + size + " bytes its header said");
            }
        } catch (ZstdIOException | ZstdException e) {
            throw new WireException("corrupt zstd frame: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new WireException("corrupt zstd frame: " + e, e);
        }
        if (out.length != size) {
            throw new WireException("zstd frame decompressed to " + out.length + " bytes, header said " + size);
        }
        return out;
    }
}
