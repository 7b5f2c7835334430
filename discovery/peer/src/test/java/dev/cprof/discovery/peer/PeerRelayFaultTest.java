package dev.cprof.discovery.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cprof.agent.Attacher;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.testkit.TargetJvm;
import dev.cprof.wire.RelayedBatch;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.InstanceInfo;
import dev.cprof.wire.proto.StartRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The peer relays an agent's batch frames without parsing them, so a batch that does not parse is
 * found by the client. It must cost that instance only, as when the peer parsed it: the client
 * reads an Error of the instance, and the connection and the other instance go on. Real peer,
 * real agents in real JVMs; one agent's stream is corrupted on its way into the peer (its third
 * batch frame keeps its outer shape, one Envelope.batch field, but holds a cut string).
 */
class PeerRelayFaultTest {

    @Test
    void aBatchThatDoesNotParseFailsItsInstanceNotTheConnection() throws Exception {
        assumeTrue(PeerRelayFaultTest.class.getResource(dev.cprof.agent.AgentLibrary.RESOURCE) != null,
                "ASSUMPTION: libcprof.so is not in the native-agent jar; relay fault test skipped");
        assumeTrue(Attacher.findJattach() != null, "ASSUMPTION: jattach is not installed; relay fault test skipped");
        try (TargetJvm good = TargetJvm.service("checkout");
             TargetJvm bad = TargetJvm.service("checkout")) {
            Map<String, InstanceRecord> records = new HashMap<>();
            for (TargetJvm t : new TargetJvm[] {good, bad}) {
                InstanceRecord r = new InstanceRecord("checkout", "fault-host", t.pid(), "", 0, "", Map.of());
                records.put(r.key(), r);
            }
            AgentConnector corrupting = new CorruptingConnector(new NativeAgentConnector(), bad.pid(), 3);
            try (PeerServer server = new PeerServer(new InetSocketAddress("127.0.0.1", 0), PeerSecurity.none(),
                    records::get, corrupting, null).start();
                 PeerClient c = PeerClient.connect("127.0.0.1", server.port(), PeerSecurity.none(), Duration.ofSeconds(5))) {
                c.attach(records.keySet(), StartRequest.newBuilder().setSessionId("relay-fault").addEvents(EventType.CPU)
                        .setIntervalNs(5_000_000).setFlushIntervalMs(200).build());
                Map<Long, Integer> ids = new HashMap<>();
                int badId = -1;
                Envelope error = null;
                int goodBatchesAfterError = 0;
                long deadline = System.currentTimeMillis() + 30_000;
                while (goodBatchesAfterError < 3 && System.currentTimeMillis() < deadline) {
                    Envelope e = c.next();
                    assertNotNull(e, "the peer closed the connection");
                    if (e.hasInstance()) {
                        InstanceInfo info = e.getInstance();
                        ids.put((long) info.getPid(), info.getInstanceId());
                        if (info.getPid() == bad.pid()) {
                            badId = info.getInstanceId();
                        }
                    } else if (e.hasError()) {
                        assertTrue(error == null, "one error: " + e);
                        error = e;
                    } else if (e.hasBatch() && error != null && ids.get(good.pid()) != null
                            && e.getRelayInstanceId() == ids.get(good.pid())) {
                        goodBatchesAfterError++;
                    }
                }
                assertNotNull(error, "the malformed batch came back as an error");
                assertEquals(dev.cprof.wire.proto.Error.Code.INTERNAL, error.getError().getCode());
                assertEquals(badId, error.getError().getInstanceId(), "charged to the instance whose agent sent it: " + error);
                assertTrue(error.getError().getMessage().startsWith("agent stream broke: malformed message"), error.toString());
                assertEquals(3, goodBatchesAfterError, "the other instance's batches kept coming on the same connection");
                c.stop();
                while (c.next() != null) {
                    // the last batches, then the end of the stream
                }
            }
        }
    }

    /** The real agents, with the {@code nth} batch frame of {@code pid}'s agent made malformed inside. */
    private record CorruptingConnector(AgentConnector real, long pid, int nth) implements AgentConnector {
        @Override
        public AgentStream open(long p, StartRequest start) throws IOException {
            AgentStream s = real.open(p, start);
            if (p != pid) {
                return s;
            }
            AtomicInteger batches = new AtomicInteger();
            return new AgentStream() {
                @Override
                public InstanceInfo instance() {
                    return s.instance();
                }

                @Override
                public Envelope next() throws IOException {
                    throw new UnsupportedOperationException("the relay reads raw frames");
                }

                @Override
                public byte[] nextRaw() throws IOException {
                    byte[] m = s.nextRaw();
                    if (m != null && RelayedBatch.isBatch(m) && batches.incrementAndGet() == nth) {
                        // Envelope.batch = Batch{new_strings (field 4) of 127 bytes, of which 1 is there}
                        return new byte[] {0x32, 3, 0x22, 0x7f, 'x'};
                    }
                    return m;
                }

                @Override
                public Envelope parse(byte[] message) throws IOException {
                    return s.parse(message);
                }

                @Override
                public void stop(String reason) throws IOException {
                    s.stop(reason);
                }

                @Override
                public void close() throws IOException {
                    s.close();
                }
            };
        }
    }
}
