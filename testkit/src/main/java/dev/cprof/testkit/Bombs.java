package dev.cprof.testkit;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.util.zip.GZIPOutputStream;

/**
 * Decompression bombs, generated (never stored): a few KB that claim or expand to GBs. The
 * readers' own tests (profile's BombTest) and the CLI's memory test (cli's BombRssIT) feed them.
 */
public final class Bombs {
    private Bombs() {}

    /**
     * One zstd frame of {@code prefix} then zeros up to {@code size} bytes, declared in its header,
     * made of RLE blocks (4 bytes per 128 KB): 900 MB take 28 KB. {@code singleSegment}: the
     * header asks for a window as large as the content (how {@code zstd} writes small frames);
     * otherwise a 1 MB window, which any decoder accepts.
     */
    public static byte[] zstdZeros(long size, boolean singleSegment, byte[] prefix) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd});
        if (singleSegment) {
            out.write(0xa0); // content size in 4 bytes, single segment
            for (int i = 0; i < 4; i++) {
                out.write((int) (size >>> (8 * i)));
            }
        } else {
            out.writeBytes(new byte[] {(byte) 0xc0, 10 << 3}); // FCS 8 bytes; window 2^(10+10)
            for (int i = 0; i < 8; i++) {
                out.write((int) (size >>> (8 * i)));
            }
        }
        long left = size - prefix.length;
        if (prefix.length > 0) {
            block(out, 0, prefix.length, left == 0);
            out.writeBytes(prefix);
        }
        while (left > 0) {
            int n = (int) Math.min(left, 128 << 10);
            left -= n;
            block(out, 1, n, left == 0);
            out.write(0);
        }
        return out.toByteArray();
    }

    private static void block(ByteArrayOutputStream out, int type, int size, boolean last) {
        int h = (size << 3) | (type << 1) | (last ? 1 : 0);
        out.write(h);
        out.write(h >>> 8);
        out.write(h >>> 16);
    }

    /** {@code pattern} repeated up to {@code size} bytes after {@code prefix}, zstd-compressed as it is generated. */
    public static byte[] zstdRepeated(byte[] prefix, byte[] pattern, long size) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZstdOutputStream z = new ZstdOutputStream(out, 1)) {
            z.write(prefix);
            byte[] chunk = new byte[pattern.length * (65536 / pattern.length)];
            for (int i = 0; i < chunk.length; i++) {
                chunk[i] = pattern[i % pattern.length];
            }
            for (long left = size - prefix.length; left > 0; left -= chunk.length) {
                z.write(chunk, 0, (int) Math.min(left, chunk.length));
            }
        }
        return out.toByteArray();
    }

    /** One gzip member of {@code head} then {@code zeros} zero bytes. */
    public static byte[] gzipMember(byte[] head, int zeros) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out, 1 << 16)) {
            z.write(head);
            byte[] chunk = new byte[1 << 16];
            for (int left = zeros; left > 0; left -= chunk.length) {
                z.write(chunk, 0, Math.min(left, chunk.length));
            }
        }
        return out.toByteArray();
    }

    /**
     * {@code copies} gzip members one after another: one valid gzip stream (RFC 1952 allows
     * members), as a file would be; available() tells GZIPInputStream another member follows.
     */
    public static InputStream repeated(byte[] member, int copies) {
        return new InputStream() {
            long pos;
            final long size = (long) member.length * copies;

            @Override
            public int read() {
                return pos < size ? member[(int) (pos++ % member.length)] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= size) {
                    return -1;
                }
                int at = (int) (pos % member.length);
                int n = Math.min(len, member.length - at);
                System.arraycopy(member, at, b, off, n);
                pos += n;
                return n;
            }

            @Override
            public int available() {
                return (int) Math.min(Integer.MAX_VALUE, size - pos);
            }
        };
    }

    /** The protobuf tag of a length-delimited field. */
    public static byte[] tagAndLength(int field, long length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        varint(out, ((long) field << 3) | 2);
        varint(out, length);
        return out.toByteArray();
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    /** What a read threw and the heap bytes this thread allocated meanwhile (cumulative: what it held is at most this). */
    public record Outcome(Exception thrown, long allocated) {}

    public static Outcome measure(ThrowingRunnable body) {
        com.sun.management.ThreadMXBean t = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = t.getCurrentThreadAllocatedBytes();
        Exception thrown = null;
        try {
            body.run();
        } catch (Exception e) {
            thrown = e;
        }
        return new Outcome(thrown, t.getCurrentThreadAllocatedBytes() - before);
    }

    public interface ThrowingRunnable {
        void run() throws Exception;
    }
}
