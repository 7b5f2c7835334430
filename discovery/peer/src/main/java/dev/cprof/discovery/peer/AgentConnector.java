package dev.cprof.discovery.peer;

import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.InstanceInfo;
import dev.cprof.wire.proto.StartRequest;
import java.io.Closeable;
import java.io.IOException;

/**
 * How the peer reaches the agent of one local JVM: load it if needed, connect, start. The seam
 * exists so the peer's relay logic does not depend on how the agent is loaded (jattach, Attach
 * API, already loaded with -agentpath) and so tests can count what was attached.
 */
public interface AgentConnector {

    /** Loads the agent into {@code pid} if needed and starts profiling; the stream yields Batches. */
    AgentStream open(long pid, StartRequest start) throws IOException;

    /** One running agent session. {@link #stop} and {@link #close} may be called while {@link #next} blocks. */
    interface AgentStream extends Closeable {
        InstanceInfo instance();

        /** Next Batch, Status or Error; null when the agent closed the stream (stopped, or the JVM exited). */
        Envelope next() throws IOException;

        /**
         * The next message as the agent serialized it (one Envelope), or null as for {@link #next};
         * the relay forwards batches without parsing them and {@link #parse}s the rest.
         */
        default byte[] nextRaw() throws IOException {
            Envelope e = next();
            return e == null ? null : e.toByteArray();
        }

        /** A message from {@link #nextRaw}; malformed bytes are an IOException. */
        default Envelope parse(byte[] message) throws IOException {
            return Envelope.parseFrom(message);
        }

        /** Asks the agent to stop; it sends a last Batch and closes the stream. */
        void stop(String reason) throws IOException;
    }
}
