package dev.cprof.profile;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdIOException;
import dev.cprof.wire.Compression;
import dev.cprof.wire.CountingInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * What reading one input file may cost. Readers stream: the uncompressed bytes are counted as
 * they arrive and never buffered whole, so a decompression bomb is refused when it passes the
 * limit, having cost no more than one element. Elements (one protobuf sub-message or string, one
 * collapsed line) and tables are bounded too, since an entry costs more in memory than its few
 * bytes in the file.
 */
final class InputLimits {
    /** System property (MB): raise it, with the heap, for a larger profile. */
    static final String MAX_INPUT_PROPERTY = "cprof.maxInputMB";
    static final int DEFAULT_MAX_INPUT_MB = 256;
    /** Largest length-delimited element (one string, one sub-message) of a .cprof file. */
    static final int MAX_ELEMENT_BYTES = 16 << 20;
    /** Largest element of a pprof file: a sample of 1 MB is ~500,000 frames deep. */
    static final int MAX_PPROF_ELEMENT_BYTES = 1 << 20;
    /** Most entries of one table (strings, frames, nodes, samples, locations...). */
    static final int MAX_TABLE_ENTRIES = 1 << 24;
    /** Most instances in one file (each is an object of its own). */
    static final int MAX_INSTANCES = 1 << 20;
    /** Longest line of a collapsed file, in chars. */
    static final int MAX_LINE_CHARS = 4 << 20;

    private InputLimits() {}

    /** The uncompressed bytes one file may hold: the property, or 256 MB; at most 2047 MB (protobuf's int positions). */
    static long maxInputBytes() {
        long mb = Long.getLong(MAX_INPUT_PROPERTY, DEFAULT_MAX_INPUT_MB);
        return Math.max(1, Math.min(mb, 2047)) << 20;
    }

    static ProfileFormatException tooLarge(String sourceName, long limit) {
        return new ProfileFormatException(sourceName + ": larger than " + mb(limit)
                + " uncompressed, the limit for an input file (a decompression bomb, or a very large profile"
                + (limit < 2047L << 20 ? ": raise the limit with CPROF_JAVA_OPTS=-D" + MAX_INPUT_PROPERTY + "=N, in MB)" : ")"));
    }

    static ProfileFormatException tooManyEntries(String sourceName, String what, long max) {
        return new ProfileFormatException(sourceName + ": more than " + max + " " + what + " (corrupt, or not a profile cprof can read)");
    }

    static ProfileFormatException elementTooLarge(String sourceName, long length, int max) {
        return new ProfileFormatException(sourceName + ": an entry of " + length + " bytes, over the limit of "
                + mb(max) + " for one entry (corrupt, or not a profile cprof can read)");
    }

    private static String mb(long bytes) {
        return bytes >= 1 << 20 ? (bytes >> 20) + " MB" : bytes + " bytes";
    }

    /** Counts what passes and fails as soon as more than {@code limit} bytes did. */
    static final class Bounded extends FilterInputStream {
        private final long limit;
        private final String sourceName;
        private long count;

        Bounded(InputStream in, long limit, String sourceName) {
            super(in);
            this.limit = limit;
            this.sourceName = sourceName;
        }

        long count() {
            return count;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0 && ++count > limit) {
                throw tooLarge(sourceName, limit);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            // never more than one byte past the limit, whatever the caller asks for
            int n = in.read(b, off, (int) Math.min(len, limit - count + 1));
            if (n > 0 && (count += n) > limit) {
                throw tooLarge(sourceName, limit);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long k = in.skip(Math.min(n, limit - count + 1));
            if (k > 0 && (count += k) > limit) {
                throw tooLarge(sourceName, limit);
            }
            return k;
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }

    /**
     * A decompressor's output: its errors (zstd-jni's, java.util.zip's) become one line naming the
     * file and the compressed byte where decoding stopped, instead of the library's own words.
     */
    static final class Decoded extends FilterInputStream {
        private final CountingInputStream raw;
        private final String sourceName;
        private final String what;

        Decoded(InputStream decompressor, CountingInputStream raw, String sourceName, String what) {
            super(decompressor);
            this.raw = raw;
            this.sourceName = sourceName;
            this.what = what;
        }

        private ProfileFormatException corrupt(IOException e) {
            if (e instanceof ZstdIOException z && z.getErrorCode() == Zstd.errFrameParameterWindowTooLarge()) {
                return new ProfileFormatException(sourceName + ": compressed data asking for a window of over "
                        + (1 << (Compression.MAX_FILE_WINDOW_LOG - 20)) + " MB to decompress (not a " + what + " file cprof wrote; a decompression bomb?)", e);
            }
            return new ProfileFormatException(sourceName + ": corrupt compressed data near byte " + raw.count()
                    + " (not a " + what + " file, or truncated)", e);
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (ProfileFormatException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw corrupt(e instanceof IOException io ? io : new IOException(e));
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (ProfileFormatException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw corrupt(e instanceof IOException io ? io : new IOException(e));
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                return in.skip(n);
            } catch (ProfileFormatException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw corrupt(e instanceof IOException io ? io : new IOException(e));
            }
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }
}
