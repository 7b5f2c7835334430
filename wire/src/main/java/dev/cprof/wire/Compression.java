package dev.cprof.wire;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import com.github.luben.zstd.ZstdIOException;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

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
     * Messages describe the data, not zstd-jni's internals.
     */
    public static byte[] decompress(byte[] compressed, int limit) throws WireException {
        long size;
        try {
            size = Zstd.getFrameContentSize(compressed);
        } catch (RuntimeException e) {
            throw new WireException("corrupt compressed data: not a zstd frame", e);
        }
        if (size == CONTENTSIZE_UNKNOWN) {
            throw new WireException("compressed data does not declare its size; refused");
        }
        if (size < 0) {
            throw new WireException("corrupt compressed data: not a zstd frame");
        }
        if (size > limit) {
            throw new WireException("compressed data would decompress to " + size + " bytes, over the limit of " + limit);
        }
        // No finalizer: a finalizable stream keeps its 128 KB buffer until the finalizer thread
        // gets to it, and reading many files fast then runs out of heap (found by fuzzing).
        ByteArrayInputStream source = new ByteArrayInputStream(compressed);
        byte[] out = new byte[(int) Math.min(size, 1 << 16)];
        int n = 0;
        try (ZstdInputStreamNoFinalizer in = new ZstdInputStreamNoFinalizer(source)) {
            in.setLongMax(MAX_FILE_WINDOW_LOG);
            while (true) {
                if (n == out.length) {
                    if (n == size) {
                        if (in.read() >= 0) {
                            throw new WireException("compressed data decompresses to more than the " + size + " bytes its header said");
                        }
                        break;
                    }
                    // grow with what arrives, never past the declared size
                    out = Arrays.copyOf(out, (int) Math.min(size, (long) n * 2));
                }
                int k = in.read(out, n, out.length - n);
                if (k < 0) {
                    break;
                }
                n += k;
            }
        } catch (ZstdIOException | ZstdException e) {
            throw new WireException("corrupt compressed data near byte " + (compressed.length - source.available()), e);
        } catch (IOException e) {
            throw new WireException("corrupt or truncated compressed data near byte " + (compressed.length - source.available()), e);
        }
        if (n != size) {
            throw new WireException("compressed data ends after " + n + " of the " + size + " bytes its header declared (truncated)");
        }
        return out;
    }

    /**
     * A zstd stream over {@code compressed}, for readers that decode while they decompress and
     * count what comes out; the window it may ask for is bounded (2^{@value #MAX_FILE_WINDOW_LOG}).
     */
    public static InputStream decompressing(InputStream compressed) throws IOException {
        ZstdInputStreamNoFinalizer in = new ZstdInputStreamNoFinalizer(compressed);
        in.setLongMax(MAX_FILE_WINDOW_LOG);
        return in;
    }

    /** Largest zstd window of a file (16 MiB); ours use 2^21 at most (level 3). */
    public static final int MAX_FILE_WINDOW_LOG = 24;
}
