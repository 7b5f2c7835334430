package dev.cprof.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.Error;
import dev.cprof.wire.proto.Frame;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.Stack;
import dev.cprof.wire.proto.Status;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RelayedBatchTest {
    private static final Batch BATCH = Batch.newBuilder().setSequence(1).setStringBase(0).addNewStrings("main")
            .addNewFrames(Frame.newBuilder().setName(0).setKind(FrameKind.JAVA)).addNewStacks(Stack.newBuilder().addFrames(0))
            .setStartTimeNs(1).setEndTimeNs(2).build();

    private static byte[] relayed(boolean compressed, byte[] agentFrame, int id) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameWriter w = new FrameWriter(out, compressed);
        w.writeRaw(agentFrame, RelayedBatch.idField(id));
        assertEquals(out.size(), w.bytesWritten());
        return out.toByteArray();
    }

    @Test
    void theAgentsBatchBytesArriveWithTheRelaysId() throws IOException {
        byte[] agent = Envelope.newBuilder().setBatch(BATCH).build().toByteArray();
        assertTrue(RelayedBatch.isBatch(agent));
        for (boolean compressed : new boolean[] {false, true}) {
            for (int id : new int[] {1, 127, 128, 300_000, Integer.MAX_VALUE}) {
                FrameReader r = new FrameReader(new ByteArrayInputStream(relayed(compressed, agent, id)), compressed);
                byte[] raw = r.readRaw();
                assertArrayEquals(agent, Arrays.copyOf(raw, agent.length), "the batch's bytes are untouched");
                Envelope e = r.parse(raw);
                assertEquals(BATCH, e.getBatch());
                assertEquals(id, e.getRelayInstanceId());
                assertEquals(id, RelayedBatch.relayId(raw));
                assertNull(r.read());
            }
        }
    }

    @Test
    void anAgentCannotChooseTheId() throws IOException {
        byte[] spoofing = Envelope.newBuilder().setBatch(BATCH).setRelayInstanceId(7).build().toByteArray();
        assertFalse(RelayedBatch.isBatch(spoofing), "not one batch field alone: the peer parses it instead");
        // even appended blindly, the relay's id comes last and wins
        FrameReader r = new FrameReader(new ByteArrayInputStream(relayed(false, spoofing, 3)), false);
        assertEquals(3, r.read().getRelayInstanceId());
    }

    @Test
    void onlyAWholeSingleBatchFieldIsRelayedUnparsed() {
        assertFalse(RelayedBatch.isBatch(Envelope.newBuilder().setStatus(Status.getDefaultInstance()).build().toByteArray()));
        assertFalse(RelayedBatch.isBatch(Envelope.newBuilder().setError(Error.newBuilder().setMessage("x")).build().toByteArray()));
        assertFalse(RelayedBatch.isBatch(new byte[0]));
        byte[] agent = Envelope.newBuilder().setBatch(BATCH).build().toByteArray();
        assertFalse(RelayedBatch.isBatch(Arrays.copyOf(agent, agent.length - 1)), "cut short");
        assertFalse(RelayedBatch.isBatch(Arrays.copyOf(agent, agent.length + 1)), "a byte after the batch");
        assertFalse(RelayedBatch.isBatch(new byte[] {0x32, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80}),
                "a length varint over 5 bytes");
        assertTrue(RelayedBatch.isBatch(new byte[] {0x32, 0}), "an empty batch is still one field");
    }

    @Test
    void aMalformedBatchIsStillChargedToItsInstance() {
        // a batch field whose inside is not a Batch (a string field with an overrunning length)
        byte[] agent = {0x32, 3, 0x22, 0x7f, 'x'};
        assertTrue(RelayedBatch.isBatch(agent));
        byte[] id = RelayedBatch.idField(5);
        byte[] raw = Arrays.copyOf(agent, agent.length + id.length);
        System.arraycopy(id, 0, raw, agent.length, id.length);
        assertThrows(WireException.class, () -> new FrameReader(new ByteArrayInputStream(new byte[0]), false).parse(raw));
        assertEquals(5, RelayedBatch.relayId(raw));
        assertEquals(0, RelayedBatch.relayId(agent), "no id: not a relayed batch");
        assertEquals(0, RelayedBatch.relayId(Envelope.newBuilder().setStatus(Status.getDefaultInstance()).setRelayInstanceId(5)
                .build().toByteArray()), "only batches are charged");
        assertThrows(IllegalArgumentException.class, () -> RelayedBatch.idField(0));
    }

    @Test
    void theFrameLimitsCountTheAppendedId() {
        byte[] agent = new byte[Limits.MAX_FRAME_BYTES];
        WireException e = assertThrows(WireException.class,
                () -> new FrameWriter(java.io.OutputStream.nullOutputStream(), false).writeRaw(agent, RelayedBatch.idField(1)));
        assertTrue(e.getMessage().contains("over the limit"), e.getMessage());
    }
}
