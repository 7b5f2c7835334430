package dev.cprof.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.Hello;
import dev.cprof.wire.proto.Stop;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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

    /** A zstd stream as a hostile sender could make it: any window, any bytes inside. */
    private static byte[] zstdStream(int windowLog, byte[] content) throws IOException {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        ZstdOutputStream z = new ZstdOutputStream(compressed, 3);
        z.setWindowLog(windowLog);
        z.write(content);
        z.flush(); // not closed: like a live connection, the zstd frame stays open
        return compressed.toByteArray();
    }

    @Test
    void refusesDecompressionBombBeforeAllocating() throws IOException {
        // Declares a 65 MiB message; what follows is 65 MiB of zeros compressing to a few KB.
        byte[] prefix = new byte[5];
        int n = Varint.encode(65 << 20, prefix);
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        content.write(prefix, 0, n);
        content.write(new byte[65 << 20]);
        byte[] bomb = zstdStream(Limits.ZSTD_WINDOW_LOG, content.toByteArray());
        assertTrue(bomb.length < 64 * 1024, "the bomb itself is small: " + bomb.length);
        FrameReader r = new FrameReader(new ByteArrayInputStream(bomb), true);
        WireException e = assertThrows(WireException.class, r::read);
        assertTrue(e.getMessage().contains("over the limit"), e.getMessage());
        assertTrue(r.bytesRead() < 256 * 1024, "refused on the declared length, after reading " + r.bytesRead() + " bytes");
    }

    @Test
    void aLimitedReaderRefusesMessagesOverItsLimitBeforeDecompressingThem() throws IOException {
        // 1 MiB declared, within the hard limit: what a stranger may send before authenticating
        byte[] prefix = new byte[5];
        int n = Varint.encode(1 << 20, prefix);
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        content.write(prefix, 0, n);
        content.write(new byte[1 << 20]);
        byte[] stream = zstdStream(Limits.ZSTD_WINDOW_LOG, content.toByteArray());
        FrameReader limited = new FrameReader(new ByteArrayInputStream(stream), true);
        limited.limitMessages(Limits.MAX_HANDSHAKE_BYTES);
        WireException e = assertThrows(WireException.class, limited::readRaw);
        assertEquals("message of " + (1 << 20) + " bytes is over the limit of " + Limits.MAX_HANDSHAKE_BYTES, e.getMessage());
        // the same stream, unlimited: read whole
        assertEquals(1 << 20, new FrameReader(new ByteArrayInputStream(stream), true).readRaw().length);
        // the hard limit stays the ceiling
        FrameReader raised = new FrameReader(new ByteArrayInputStream(new byte[0]), false);
        raised.limitMessages(Integer.MAX_VALUE);
        byte[] plain = new byte[8];
        int m = Varint.encode(Limits.MAX_FRAME_BYTES + 1, plain);
        assertThrows(WireException.class, () -> new FrameReader(new ByteArrayInputStream(plain, 0, m), false).readRaw());
    }

    @Test
    void refusesAZstdWindowOverTheBound() throws IOException {
        byte[] hello = HELLO.toByteArray();
        byte[] prefix = new byte[5];
        int n = Varint.encode(hello.length, prefix);
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        content.write(prefix, 0, n);
        content.write(hello);
        // Within the bound: read. One above: refused from the frame header, before its window is allocated.
        byte[] ok = zstdStream(Limits.MAX_ZSTD_WINDOW_LOG, content.toByteArray());
        assertEquals(HELLO, new FrameReader(new ByteArrayInputStream(ok), true).read());
        byte[] wide = zstdStream(Limits.MAX_ZSTD_WINDOW_LOG + 1, content.toByteArray());
        WireException e = assertThrows(WireException.class, () -> new FrameReader(new ByteArrayInputStream(wide), true).read());
        assertTrue(e.getMessage().contains("asking for a window over 1 MB"), e.getMessage());
        byte[] huge = zstdStream(30, content.toByteArray()); // 1 GiB window
        assertThrows(WireException.class, () -> new FrameReader(new ByteArrayInputStream(huge), true).read());
    }

    @Test
    void oneStreamCompressesLaterFramesAgainstEarlierOnes() throws IOException {
        Envelope[] many = new Envelope[20];
        Arrays.fill(many, HELLO);
        byte[] stream = framed(true, many);
        byte[] one = framed(true, HELLO);
        // Every frame after the first is a back-reference: a few bytes, not a whole message again.
        assertTrue(stream.length - one.length < 19 * 12, "20 equal messages: " + stream.length + " bytes, one: " + one.length);
        FrameReader r = new FrameReader(new ByteArrayInputStream(stream), true);
        for (int i = 0; i < many.length; i++) {
            assertEquals(HELLO, r.read());
        }
        assertNull(r.read());
        assertEquals(stream.length, r.bytesRead(), "counts compressed bytes");
    }

    @Test
    @Timeout(20)
    void eachFrameIsDecodableAsSoonAsItArrives() throws Exception {
        java.io.PipedOutputStream sink = new java.io.PipedOutputStream();
        java.io.PipedInputStream source = new java.io.PipedInputStream(sink, 1 << 20);
        FrameWriter w = new FrameWriter(sink, true);
        FrameReader r = new FrameReader(source, true);
        Envelope stop = Envelope.newBuilder().setStop(Stop.newBuilder().setSessionId("s1")).build();
        for (int i = 0; i < 3; i++) {
            w.write(i % 2 == 0 ? HELLO : stop); // nothing more is written until this one is read
            assertEquals(i % 2 == 0 ? HELLO : stop, r.read());
        }
        sink.close();
        assertNull(r.read(), "the end of the connection between frames is a clean end");
    }

    @Test
    void truncatedInputIsATypedError() throws IOException {
        byte[] whole = framed(false, HELLO);
        for (int cut = 1; cut < whole.length; cut++) {
            byte[] part = Arrays.copyOf(whole, cut);
            assertThrows(WireException.class, () -> new FrameReader(new ByteArrayInputStream(part), false).read(), "cut at " + cut);
        }
    }

    /**
     * A compressed stream cut anywhere gives the whole messages before the cut, then either a
     * typed error (part of a message was decoded) or a clean end (the cut message's zstd block
     * had not arrived whole, so none of it was decoded): never a wrong or partial message.
     */
    @Test
    void truncatedCompressedStreamGivesWholeMessagesOnly() throws IOException {
        Envelope stop = Envelope.newBuilder().setStop(Stop.newBuilder().setSessionId("s1").setReason("done")).build();
        byte[] whole = framed(true, HELLO, stop, HELLO);
        int errors = 0;
        for (int cut = 1; cut < whole.length; cut++) {
            FrameReader r = new FrameReader(new ByteArrayInputStream(Arrays.copyOf(whole, cut)), true);
            List<Envelope> got = new ArrayList<>();
            try {
                Envelope e;
                while ((e = r.read()) != null) {
                    got.add(e);
                }
            } catch (WireException expected) {
                errors++;
            }
            assertTrue(got.size() < 3, "cut at " + cut + " yet every message came");
            assertEquals(List.of(HELLO, stop, HELLO).subList(0, got.size()), got, "cut at " + cut);
        }
        assertTrue(errors > 0, "some cuts fall inside a decoded message");
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
}
