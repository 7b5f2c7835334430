package dev.cprof.wire;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.cprof.wire.proto.Envelope;
import java.io.IOException;

/**
 * How a peer relays an agent's batch without decoding it (protocol 3). An agent writes each batch
 * as a frame holding one field, Envelope.batch. The peer forwards those bytes as they came and
 * appends one more field, Envelope.relay_instance_id = its connection's id for the instance
 * ({@link FrameWriter#writeRaw(byte[], byte[])}). Protobuf reads concatenated messages as their
 * merge, so the client parses an ordinary Envelope{batch, relay_instance_id}; and since the last
 * value of a scalar wins, an agent that wrote a relay_instance_id of its own cannot pick the id.
 */
public final class RelayedBatch {
    /** Envelope.batch (field 6), length-delimited. */
    static final int BATCH_TAG = Envelope.BATCH_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
    /** Envelope.relay_instance_id (field 13), a varint. */
    static final int RELAY_ID_TAG = Envelope.RELAY_INSTANCE_ID_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_VARINT;

    private RelayedBatch() {}

    /**
     * True when {@code frame} (an Envelope's bytes) is exactly one Envelope.batch field, as an agent
     * writes a batch: its tag, a length, and that many bytes to the end of the frame. Reads the
     * first bytes only; what the batch holds is the client's to judge.
     */
    public static boolean isBatch(byte[] frame) {
        if (frame.length < 2 || (frame[0] & 0xff) != BATCH_TAG) {
            return false;
        }
        long length = 0;
        int i = 1;
        for (int shift = 0; shift < 35; shift += 7, i++) {
            if (i >= frame.length) {
                return false;
            }
            int b = frame[i] & 0xff;
            length |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return i + 1 + length == frame.length;
            }
        }
        return false;
    }

    /** The bytes to append to an agent's batch frame: Envelope.relay_instance_id = {@code id} (&gt; 0). */
    public static byte[] idField(int id) {
        if (id <= 0) {
            throw new IllegalArgumentException("instance id " + id);
        }
        byte[] varint = new byte[5];
        int n = Varint.encode(id, varint);
        byte[] out = new byte[1 + n];
        out[0] = (byte) RELAY_ID_TAG;
        System.arraycopy(varint, 0, out, 1, n);
        return out;
    }

    /**
     * A client's reading of one message from a peer ({@link FrameReader#readRaw()}). The peer relays
     * batches without parsing them, so a relayed batch that does not parse is the fault of its
     * instance's agent, not of the connection: it comes back as an Error{INTERNAL} with that
     * instance's id (as a peer reports an agent stream that broke). Any other malformed message
     * is a {@link WireException}, as from {@link FrameReader#read()}.
     */
    public static Envelope decode(FrameReader in, byte[] message) throws WireException {
        try {
            return in.parse(message);
        } catch (WireException malformed) {
            int instance = relayId(message);
            if (instance == 0) {
                throw malformed;
            }
            Throwable cause = malformed.getCause();
            return Envelope.newBuilder().setError(dev.cprof.wire.proto.Error.newBuilder()
                    .setCode(dev.cprof.wire.proto.Error.Code.INTERNAL).setInstanceId(instance)
                    .setMessage("agent stream broke: " + malformed.getMessage()
                            + (cause != null && cause.getMessage() != null ? " (" + cause.getMessage() + ")" : ""))).build();
        }
    }

    /**
     * The relay_instance_id of a frame made of Envelope.batch and relay_instance_id fields only,
     * read at the top level without looking into the batch; 0 when the frame is anything else
     * (or names no instance, or is cut). Lets a client charge a batch that does not parse to its
     * instance instead of to the whole connection.
     */
    public static int relayId(byte[] frame) {
        CodedInputStream in = CodedInputStream.newInstance(frame);
        boolean batch = false;
        int id = 0;
        try {
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                if (tag == BATCH_TAG) {
                    in.skipField(tag); // length and bounds only
                    batch = true;
                } else if (tag == RELAY_ID_TAG) {
                    id = in.readUInt32();
                } else {
                    return 0;
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return batch ? id : 0;
    }
}
