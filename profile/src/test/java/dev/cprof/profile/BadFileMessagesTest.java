package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.Compression;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * A corrupt file is described by what is wrong with it, not by what zstd-jni, protobuf or
 * java.util.zip said ("corrupt zstd frame: Array index out of range: 0", "Protocol message
 * contained an invalid tag (zero)").
 */
class BadFileMessagesTest {

    private static void assertDescribed(Format f, byte[] data, String file, String expected) {
        ProfileFormatException e = assertThrows(ProfileFormatException.class, () -> f.read(new ByteArrayInputStream(data), file));
        String m = e.getMessage();
        assertTrue(m.startsWith(file + ": "), "names the file: " + m);
        assertTrue(m.contains(expected), "says '" + expected + "': " + m);
        assertTrue(!BombTest.INTERNALS.matcher(m).find(), "no library internals: " + m);
    }

    @Test
    void corruptCprofFiles() throws Exception {
        byte[] good = CprofFormatTest.bytes(CprofFormatTest.sample());
        byte[] flipped = good.clone();
        for (int i = 12; i < flipped.length - 4; i++) {
            flipped[i] ^= (byte) 0x5a;
        }
        assertDescribed(Format.CPROF, flipped, "x.cprof", "corrupt compressed data near byte ");
        assertDescribed(Format.CPROF, Arrays.copyOf(good, good.length - 5), "x.cprof", "(not a .cprof file, or truncated)");
        assertDescribed(Format.CPROF, Arrays.copyOf(good, 6), "x.cprof", "corrupt compressed data near byte ");
        assertDescribed(Format.CPROF, new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0, 0}, "x.cprof", "corrupt compressed data");
        byte[] noise = new byte[4096];
        new Random(14).nextBytes(noise);
        assertDescribed(Format.CPROF, Compression.compress(noise), "x.cprof", "not a .cprof profile (malformed data near byte ");
        assertDescribed(Format.CPROF, Compression.compress(new byte[100]), "x.cprof", "not a .cprof profile (malformed data near byte 1 ");
        assertDescribed(Format.CPROF, "a;b 1\n".getBytes(), "x.cprof", "not a .cprof file (its first bytes are not those of one)");
    }

    @Test
    void corruptPprofFiles() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Format.PPROF.write(CprofFormatTest.sample(), out, WriteOptions.defaults());
        byte[] good = out.toByteArray();
        assertDescribed(Format.PPROF, Arrays.copyOf(good, good.length / 2), "x.pb.gz", "corrupt compressed data near byte ");
        assertDescribed(Format.PPROF, Arrays.copyOf(good, good.length / 2), "x.pb.gz", "(not a pprof file, or truncated)");
        byte[] flipped = good.clone();
        for (int i = 20; i < flipped.length - 8; i++) {
            flipped[i] ^= (byte) 0x5a;
        }
        assertDescribed(Format.PPROF, flipped, "x.pb.gz", "corrupt compressed data near byte ");
        assertDescribed(Format.PPROF, Arrays.copyOf(good, 5), "x.pb.gz", "not a pprof file");
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(new byte[100]);
        }
        assertDescribed(Format.PPROF, gz.toByteArray(), "x.pb.gz", "not a pprof profile (malformed data near byte 1 ");
        assertDescribed(Format.PPROF, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}, "x.pprof", "not a pprof profile (malformed data near byte ");
        assertDescribed(Format.PPROF, new byte[0], "x.pprof", "empty file");
    }
}
