package dev.cprof.discovery.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cprof.agent.Attacher;
import dev.cprof.discovery.registry.FleetView;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.discovery.registry.PeerRecord;
import dev.cprof.discovery.registry.SessionNode;
import dev.cprof.discovery.registry.SessionRecord;
import dev.cprof.discovery.registry.ZkClients;
import dev.cprof.testkit.Await;
import dev.cprof.testkit.TargetJvm;
import dev.cprof.testkit.TestZk;
import dev.cprof.wire.SampleGroups;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.StartRequest;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole path with real parts: ZooKeeper server, peer, jattach, libcprof.so in a real JVM,
 * PeerClient. Found through ZooKeeper, attached through the peer, batches relayed with the
 * connection's instance id; Stop, session znode removal and JVM exit all end the instance.
 */
class PeerEndToEndTest {
    private static final Duration T = Duration.ofSeconds(5);

    @BeforeAll
    static void agentAvailable() {
        boolean lib = PeerEndToEndTest.class.getResource(dev.cprof.agent.AgentLibrary.RESOURCE) != null;
        assumeTrue(lib, "ASSUMPTION: libcprof.so is not in the native-agent jar (run mvn -pl native-agent install); end-to-end test skipped");
        assumeTrue(Attacher.findJattach() != null, "ASSUMPTION: jattach is not installed (apt-get install jattach); end-to-end test skipped");
    }

    private static StartRequest start(String session) {
        return StartRequest.newBuilder().setSessionId(session).addEvents(EventType.CPU)
                .setIntervalNs(5_000_000).setFlushIntervalMs(500).build();
    }

    @Test
    void attachThroughPeerRelaysBatchesAndStopEndsEverything() throws Exception {
        try (TestingServer server = TestZk.server();
             CuratorFramework zk = ZkClients.start(server.getConnectString(), null, TestZk.SESSION_MS);
             CuratorFramework cli = ZkClients.start(server.getConnectString(), null, TestZk.SESSION_MS);
             TargetJvm target = TargetJvm.service("checkout");
             Peer peer = Peer.start(Peer.Config.defaults(zk).withHost("test-host")
                     .withListen(new InetSocketAddress("127.0.0.1", 0)))) {
            FleetView fleet = new FleetView(cli);
            assertTrue(Await.until(3000, () -> count(fleet) == 1), "instance registered");
            InstanceRecord inst = fleet.instances("checkout").get(0);
            PeerRecord pr = fleet.peer(inst.host());

            try (PeerClient c = PeerClient.connect(pr.address(), pr.port(), PeerSecurity.none(), T)) {
                c.attach(List.of(inst.key(), "test-host:999999"), start("e2e"));
                BlockingQueue<Envelope> got = reader(c);

                Envelope notFound = poll(got, 5);
                assertEquals(dev.cprof.wire.proto.Error.Code.NOT_FOUND, notFound.getError().getCode(), notFound.toString());
                assertEquals("test-host:999999", notFound.getError().getInstanceKey());

                Envelope info = poll(got, 15);
                assertTrue(info.hasInstance(), "expected InstanceInfo, got " + info);
                int id = info.getInstance().getInstanceId();
                assertEquals(1, id);
                assertEquals(target.pid(), info.getInstance().getPid());
                assertEquals("checkout", info.getInstance().getService());
                assertEquals("test-host", info.getInstance().getHost());

                long samples = 0;
                int batches = 0;
                long deadline = System.currentTimeMillis() + 10_000;
                while ((samples == 0 || batches < 2) && System.currentTimeMillis() < deadline) {
                    Envelope e = poll(got, 5);
                    assertTrue(e.hasBatch(), "expected Batch, got " + e.getMsgCase() + " " + e);
                    assertEquals(id, e.getRelayInstanceId(), "batches carry the connection's instance id");
                    batches++;
                    samples += SampleGroups.totalCount(e.getBatch());
                }
                assertTrue(samples > 0 && batches >= 2, "batches=" + batches + " samples=" + samples);

                long stopAt = System.currentTimeMillis();
                c.stop();
                List<Envelope> rest = drain(got, 5);
                assertTrue(System.currentTimeMillis() - stopAt < 3000, "stop took " + (System.currentTimeMillis() - stopAt) + " ms");
                Envelope last = rest.get(rest.size() - 1);
                assertTrue(last.hasInstanceEnded(), "last message is instance_ended, got " + last);
                assertEquals(id, last.getInstanceEnded().getInstanceId());
            }
        }
    }

    @Test
    void lateInstancesAttachMidSessionAndSessionRemovalOrExitEndThem() throws Exception {
        try (TestingServer server = TestZk.server();
             CuratorFramework zk = ZkClients.start(server.getConnectString(), null, TestZk.SESSION_MS);
             CuratorFramework cli = ZkClients.start(server.getConnectString(), null, TestZk.SESSION_MS);
             TargetJvm first = TargetJvm.service("checkout");
             Peer peer = Peer.start(Peer.Config.defaults(zk).withHost("test-host")
                     .withListen(new InetSocketAddress("127.0.0.1", 0)))) {
            SessionRecord rec = new SessionRecord(SessionNode.newId(), "tester", "test-host", "checkout", "cpu",
                    System.currentTimeMillis(), System.currentTimeMillis() + 60_000);
            SessionNode session = SessionNode.create(cli, rec, 5000);
            FleetView fleet = new FleetView(cli);
            assertTrue(Await.until(3000, () -> count(fleet) == 1));
            try (PeerClient c = PeerClient.connect("127.0.0.1", peer.port(), PeerSecurity.none(), T)) {
                BlockingQueue<Envelope> got = reader(c);
                c.attach(List.of(InstanceRecord.key("test-host", first.pid())), start(rec.id()));
                assertTrue(waitFor(got, 15, Envelope::hasInstance).hasInstance());

                // a second instance joins while the session runs: the client asks again on the same connection
                try (TargetJvm late = TargetJvm.service("checkout")) {
                    assertTrue(Await.until(3000, () -> count(fleet) == 2));
                    c.attach(List.of(InstanceRecord.key("test-host", late.pid())), start(rec.id()));
                    Envelope lateInfo = waitFor(got, 15, e -> e.hasInstance());
                    assertEquals(late.pid(), lateInfo.getInstance().getPid());
                    assertEquals(2, lateInfo.getInstance().getInstanceId());
                    waitFor(got, 5, e -> e.hasBatch() && e.getRelayInstanceId() == 2);
                    // the late JVM exits: its instance ends, the other keeps going
                    late.close();
                    Envelope ended = waitFor(got, 5, Envelope::hasInstanceEnded);
                    assertEquals(2, ended.getInstanceEnded().getInstanceId());
                    assertEquals("exited", ended.getInstanceEnded().getReason());
                }

                // the CLI's session znode disappears (CLI killed, session expired): profiling stops within 10 s
                long goneAt = System.currentTimeMillis();
                session.close();
                Envelope ended = waitFor(got, 10, Envelope::hasInstanceEnded);
                assertEquals(1, ended.getInstanceEnded().getInstanceId());
                assertEquals("session ended", ended.getInstanceEnded().getReason());
                assertTrue(System.currentTimeMillis() - goneAt < 10_000);
            }
        }
    }

    private static int count(FleetView fleet) {
        try {
            return fleet.instances("checkout").size();
        } catch (Exception e) {
            return -1;
        }
    }

    /** Reads the client on a thread into a queue, so the test can wait with timeouts. */
    private static BlockingQueue<Envelope> reader(PeerClient c) {
        BlockingQueue<Envelope> q = new LinkedBlockingQueue<>();
        Thread t = new Thread(() -> {
            try {
                c.forEach(q::add);
            } catch (Exception e) {
                // connection closed
            }
            q.add(Envelope.getDefaultInstance()); // end marker
        }, "test-reader");
        t.setDaemon(true);
        t.start();
        return q;
    }

    private static Envelope poll(BlockingQueue<Envelope> q, int seconds) throws InterruptedException {
        Envelope e = q.poll(seconds, TimeUnit.SECONDS);
        assertNotNull(e, "nothing received within " + seconds + " s");
        return e;
    }

    private static Envelope waitFor(BlockingQueue<Envelope> q, int seconds, java.util.function.Predicate<Envelope> p)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        while (System.currentTimeMillis() < deadline) {
            Envelope e = q.poll(deadline - System.currentTimeMillis(), TimeUnit.MILLISECONDS);
            if (e != null && p.test(e)) {
                return e;
            }
            if (e != null && e.hasError()) {
                throw new AssertionError("peer error: " + e.getError());
            }
        }
        throw new AssertionError("not received within " + seconds + " s");
    }

    /** Everything until the end marker (the peer closed the connection). */
    private static List<Envelope> drain(BlockingQueue<Envelope> q, int seconds) throws InterruptedException {
        List<Envelope> out = new ArrayList<>();
        while (true) {
            Envelope e = poll(q, seconds);
            if (e.getMsgCase() == Envelope.MsgCase.MSG_NOT_SET) {
                return out;
            }
            out.add(e);
        }
    }
}
