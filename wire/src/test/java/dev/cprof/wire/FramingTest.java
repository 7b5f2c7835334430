package dev.cprof.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdOutputStream;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.Hello;
import dev.cprof.wire.proto.Stop;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FramingTest {
    private static final Envelope HELLO = Envelope.newBuilder()
            .setHello(Hello.newBuilder().setProtocolVersion(Limits.PROTOCOL_VERSION).setClient("test").setUser("Jürgen")).build();

    private static byte[] framed(boolean compressed, Envelope... messages) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameWriter w = new FrameWriter(out, compressed);
        for (Envelope m : messages) {
            w.write(m);
        }
        assertEquals(out.size(), w.bytesWritten());
        return out.toByteArray();
    }

    @Test
    void roundTripsPlainAndCompressed() throws IOException {
        Envelope stop = Envelope.newBuilder().setStop(Stop.newBuilder().setSessionId("s1").setReason("done")).build();
        for (boolean compressed : new boolean[] {false, true}) {
            FrameReader r = new FrameReader(new ByteArrayInputStream(framed(compressed, HELLO, stop)), compressed);
            assertEquals(HELLO, r.read());
            assertEquals(stop, r.read());
            assertNull(r.read(), "clean end of stream between frames");
        }
    }

    @Test
    void refusesOversizedFrameBeforeAllocating() {
        // A length prefix of 2^31-1: must be refused by the limit check, not attempted.
        byte[] prefix = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07};
        WireException e = assertThrows(WireException.class, () -> new FrameReader(new ByteArrayInputStream(prefix), false).read());
        assertTrue(e.getMessage().contains("over the limit"), e.getMessage());
    }

    @Test
    void refusesDecompressionBomb() throws IOException {
        byte[] zeros = new byte[Limits.MAX_DECOMPRESSED_BYTES + 1];
        byte[] bomb = Zstd.compress(zeros, 3);
        assertTrue(bomb.length < 64 * 1024, "the bomb itself is small: " + bomb.length);
        byte[] frame = withPrefix(bomb);
        WireException e = assertThrows(WireException.class, () -> new FrameReader(new ByteArrayInputStream(frame), true).read());
        assertTrue(e.getMessage().contains("over the limit"), e.getMessage());
    }

    @Test
    void refusesZstdFrameWithoutDeclaredSize() throws IOException {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (ZstdOutputStream z = new ZstdOutputStream(compressed)) {
            z.write(HELLO.toByteArray());
        }
        byte[] frame = withPrefix(compressed.toByteArray());
        WireException e = assertThrows(WireException.class, () -> new FrameReader(new ByteArrayInputStream(frame), true).read());
        assertTrue(e.getMessage().contains("does not declare its size"), e.getMessage());
    }

    @Test
    void truncatedInputIsATypedError() throws IOException {
        byte[] whole = framed(true, HELLO);
        for (int cut = 1; cut < whole.length; cut++) {
            byte[] part = Arrays.copyOf(whole, cut);
            assertThrows(WireException.class, () -> new FrameReader(new ByteArrayInputStream(part), true).read(), "cut at " + cut);
        }
    }

    @Test
    void overlongVarintIsRefused() {
        byte[] bad = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01};
        WireException e = assertThrows(WireException.class, () -> new FrameReader(new ByteArrayInputStream(bad), false).read());
        assertTrue(e.getMessage().contains("varint"), e.getMessage());
    }

    @Test
    void garbageMessageIsATypedError() {
        byte[] bad = {5, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThrows(WireException.class, () -> new FrameReader(new ByteArrayInputStream(bad), false).read());
    }

    @Test
    void readRequiredReportsAClosedConnection() {
        assertThrows(EOFException.class, () -> new FrameReader(new ByteArrayInputStream(new byte[0]), false).readRequired());
    }

    /** Random bytes: only typed errors or messages, never another exception, OOM or hang. */
    @Test
    void randomInputOnlyEverGivesTypedErrors() throws IOException {
        Random random = new Random(42);
        byte[] valid = framed(true, HELLO, HELLO);
        for (int round = 0; round < 5000; round++) {
            byte[] input = round % 2 == 0 ? new byte[random.nextInt(64)] : valid.clone();
            if (round % 2 == 0) {
                random.nextBytes(input);
            } else {
                input[random.nextInt(input.length)] ^= (byte) (1 << random.nextInt(8));
            }
            FrameReader r = new FrameReader(new ByteArrayInputStream(input), round % 4 < 2);
            try {
                while (r.read() != null) {
                    // keep reading until the end or an error
                }
            } catch (WireException expected) {
                // fine: malformed input is reported as such
            }
        }
    }

    private static byte[] withPrefix(byte[] payload) {
        byte[] prefix = new byte[5];
        int n = Varint.encode(payload.length, prefix);
        byte[] out = new byte[n + payload.length];
        System.arraycopy(prefix, 0, out, 0, n);
        System.arraycopy(payload, 0, out, n, payload.length);
        return out;
    }
}
