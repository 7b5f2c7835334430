package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.testkit.Bombs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Decompression bombs and other inputs that ask for far more memory than they are: each must be
 * refused with one clear line having cost no more than the limits (measured as the heap this
 * thread allocated while reading, and how much of the compressed file was consumed).
 */
class BombTest {
    private static final long MB = 1 << 20;
    /** Words of the libraries (and Java) that a user must not be shown for a bad file. */
    static final Pattern INTERNALS = Pattern.compile(
            "(?i)exception|java\\.|zstd|protocol message|array index|zlib|inflat|invalid tag|wire type|\\bnull\\b|\\bat [a-z]+\\.");

    static void assertClearError(Bombs.Outcome o, String file, String expected) {
        assertInstanceOf(ProfileFormatException.class, o.thrown(), "a typed error, not " + o.thrown());
        String m = o.thrown().getMessage();
        assertTrue(m.startsWith(file + ":"), "names the file: " + m);
        assertTrue(m.contains(expected), "says '" + expected + "': " + m);
        assertTrue(!INTERNALS.matcher(m).find(), "no library internals: " + m);
        assertTrue(m.indexOf('\n') < 0, "one line: " + m);
    }

    /** Counts the compressed bytes a reader takes: a streaming refusal stops long before the end. */
    static final class Taken extends java.io.FilterInputStream {
        long count;

        Taken(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            count += b >= 0 ? 1 : 0;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            count += Math.max(0, n);
            return n;
        }
    }

    @Test
    void cprofDeclaring900MBIsRefusedWithoutBufferingIt() {
        for (boolean singleSegment : new boolean[] {true, false}) {
            byte[] bomb = Bombs.zstdZeros(900 * MB, singleSegment, new byte[0]);
            assertTrue(bomb.length < 40_000, "a small file: " + bomb.length);
            Bombs.Outcome o = Bombs.measure(() -> Format.CPROF.read(new ByteArrayInputStream(bomb), "bomb.cprof"));
            assertClearError(o, "bomb.cprof", singleSegment ? "compressed data asking for a window of over 16 MB" : "not a .cprof profile (malformed data near byte 1 ");
            // before: the 900 MB were decompressed into one array (twice over) before parsing
            assertTrue(o.allocated() < 16 * MB, "allocated " + o.allocated() / MB + " MB for a " + bomb.length + "-byte file");
        }
    }

    @Test
    void cprofPaddedPastTheLimitIsRefusedAsItStreams() throws Exception {
        // a valid start (format version 1), then an unknown field of 900 MB of zeros
        byte[] head = concat(new byte[] {0x08, 0x01}, Bombs.tagAndLength(15, 900 * MB));
        byte[] bomb = Bombs.zstdZeros(900 * MB, false, head);
        Bombs.Outcome o = Bombs.measure(() -> new CprofFormat().read(new ByteArrayInputStream(bomb), "pad.cprof", 8 * MB));
        assertClearError(o, "pad.cprof", "larger than 8 MB uncompressed");
        assertTrue(o.allocated() < 32 * MB, "allocated " + o.allocated() / MB + " MB against a limit of 8 MB");

        // the same under the default limit (256 MB): refused there, never held
        Bombs.Outcome d = Bombs.measure(() -> Format.CPROF.read(new ByteArrayInputStream(bomb), "pad.cprof"));
        assertClearError(d, "pad.cprof", "larger than 256 MB uncompressed");
    }

    @Test
    void cprofOfRepeatedEntriesStopsAtTheTableBound() throws Exception {
        // version 1, string "", frame {name 0}, then empty nodes (root -> frame 0) over and over:
        // 2 bytes each in the file, an object each when parsed whole
        byte[] head = {0x08, 0x01, 0x12, 0x00, 0x1a, 0x00};
        byte[] bomb = Bombs.zstdRepeated(head, new byte[] {0x32, 0x00}, 64 * MB);
        Bombs.Outcome o = Bombs.measure(() -> Format.CPROF.read(new ByteArrayInputStream(bomb), "nodes.cprof"));
        assertClearError(o, "nodes.cprof", "more than " + InputLimits.MAX_TABLE_ENTRIES + " nodes");
        // the node map (4 bytes a node, 16M nodes); before: the 64 MB message and 32M Node objects
        assertTrue(o.allocated() < 128 * MB, "allocated " + o.allocated() / MB + " MB for " + bomb.length + " bytes");
    }

    @Test
    void pprofGzipOf4GiBOfZerosIsRefusedAtOnce() throws Exception {
        byte[] member = Bombs.gzipMember(new byte[0], (int) (64 * MB));
        Bombs.Outcome o = Bombs.measure(() -> Format.PPROF.read(Bombs.repeated(member, 64), "bomb.pb.gz"));
        assertClearError(o, "bomb.pb.gz", "not a pprof profile (malformed data near byte 1 ");
        // before: read up to 1 GiB into memory first (2.4 GB RSS in the CLI)
        assertTrue(o.allocated() < 16 * MB, "allocated " + o.allocated() / MB + " MB");
    }

    @Test
    void pprofPaddedPastTheLimitIsRefusedAsItStreams() throws Exception {
        // unknown field 100 of 16 MB zeros, 64 times: 1 GiB of a well-formed message
        byte[] member = Bombs.gzipMember(Bombs.tagAndLength(100, 16 * MB), (int) (16 * MB));
        Taken taken = new Taken(Bombs.repeated(member, 64));
        Bombs.Outcome o = Bombs.measure(() -> new PprofReader(8 * MB).read(taken, "pad.pb.gz"));
        assertClearError(o, "pad.pb.gz", "larger than 8 MB uncompressed");
        assertTrue(taken.count < member.length * 64L / 4, "stopped at the limit: took " + taken.count + " of " + member.length * 64L + " bytes");
        assertTrue(o.allocated() < 32 * MB, "allocated " + o.allocated() / MB + " MB against a limit of 8 MB");
    }

    @Test
    void pprofOfRepeatedEmptySamplesCostsTheirBytes() throws Exception {
        // "sample {}" is 2 bytes; 32M of them, gzipped to ~64 KB
        byte[] plain = new byte[(int) (4 * MB)];
        for (int i = 0; i < plain.length; i += 2) {
            plain[i] = 0x12;
        }
        byte[] member = Bombs.gzipMember(plain, 0);
        Bombs.Outcome o = Bombs.measure(() -> Format.PPROF.read(Bombs.repeated(member, 16), "samples.pb.gz"));
        assertClearError(o, "samples.pb.gz", "more than " + InputLimits.MAX_TABLE_ENTRIES + " samples");
        // kept as 1 byte each (16 MB); before: an object with two arrays and a list each
        assertTrue(o.allocated() < 128 * MB, "allocated " + o.allocated() / MB + " MB");
    }

    @Test
    void collapsedEndlessLineIsRefusedAtTheLineBound() {
        InputStream endless = new InputStream() {
            long left = 256 * MB;

            @Override
            public int read() {
                return left-- > 0 ? 'a' : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                Arrays.fill(b, off, off + n, (byte) 'a');
                left -= n;
                return n;
            }
        };
        Bombs.Outcome o = Bombs.measure(() -> Format.COLLAPSED.read(endless, "line.collapsed"));
        assertClearError(o, "line.collapsed", "line.collapsed:1: a line longer than 4M characters");
        assertTrue(o.allocated() < 64 * MB, "allocated " + o.allocated() / MB + " MB");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void theUncompressedLimitIsConfigurable() {
        String old = System.getProperty(InputLimits.MAX_INPUT_PROPERTY);
        try {
            System.setProperty(InputLimits.MAX_INPUT_PROPERTY, "3");
            assertEquals(3 * MB, InputLimits.maxInputBytes());
        } finally {
            if (old == null) {
                System.clearProperty(InputLimits.MAX_INPUT_PROPERTY);
            } else {
                System.setProperty(InputLimits.MAX_INPUT_PROPERTY, old);
            }
        }
    }
}
