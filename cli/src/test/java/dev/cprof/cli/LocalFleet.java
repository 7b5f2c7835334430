package dev.cprof.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cprof.agent.AgentLibrary;
import dev.cprof.agent.Attacher;
import dev.cprof.discovery.peer.Peer;
import dev.cprof.discovery.registry.FleetView;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.discovery.registry.ZkClients;
import dev.cprof.testkit.TestZk;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;

/**
 * A fleet of one host for a test: a real ZooKeeper (short ticks, so expired sessions go within
 * seconds), a real peer in process on loopback (or none, for tests that run the peer as a
 * process), and a client for the test's own reads. Skips (an assumption) where the agent
 * library or jattach is missing.
 */
final class LocalFleet implements AutoCloseable {
    private final TestingServer server;
    private final CuratorFramework peerZk;
    private final CuratorFramework zk;
    private final Peer peer;

    private LocalFleet(TestingServer server, CuratorFramework peerZk, CuratorFramework zk, Peer peer) {
        this.server = server;
        this.peerZk = peerZk;
        this.zk = zk;
        this.peer = peer;
    }

    static LocalFleet start(String host) throws Exception {
        return start(host, TestZk.TICK_MS, null);
    }

    /**
     * ZooKeeper ticking every {@code tickMs} (it grants sessions of 2 to 20 ticks) and a peer for
     * {@code host} naming JVMs by the rules in {@code rules} (null: none).
     */
    static LocalFleet start(String host, int tickMs, Path rules) throws Exception {
        requireAgent();
        TestingServer server = TestZk.server(tickMs);
        CuratorFramework peerZk = ZkClients.start(server.getConnectString(), null, TestZk.SESSION_MS);
        CuratorFramework zk = ZkClients.start(server.getConnectString(), null, TestZk.SESSION_MS);
        Peer peer = Peer.start(Peer.Config.defaults(peerZk).withHost(host)
                .withListen(new InetSocketAddress("127.0.0.1", 0)).withRulesFile(rules));
        return new LocalFleet(server, peerZk, zk, peer);
    }

    /** ZooKeeper and the test's client only: the test runs its peers as processes. */
    static LocalFleet withoutPeer() throws Exception {
        requireAgent();
        TestingServer server = TestZk.server();
        return new LocalFleet(server, null, ZkClients.start(server.getConnectString(), null, TestZk.SESSION_MS), null);
    }

    private static void requireAgent() {
        assumeTrue(LocalFleet.class.getResource(AgentLibrary.RESOURCE) != null,
                "ASSUMPTION: libcprof.so is not in the native-agent jar; fleet tests skipped");
        assumeTrue(Attacher.findJattach() != null, "ASSUMPTION: jattach is not installed; fleet tests skipped");
    }

    TestingServer server() {
        return server;
    }

    String connectString() {
        return server.getConnectString();
    }

    /** A client of the test's own, beside the peer's. */
    CuratorFramework zk() {
        return zk;
    }

    /** The instances of {@code service} registered now (none while ZooKeeper does not answer). */
    List<InstanceRecord> instances(String service) {
        return FleetHarness.instances(new FleetView(zk), service);
    }

    @Override
    public void close() throws Exception {
        if (peer != null) {
            peer.close();
        }
        zk.close();
        if (peerZk != null) {
            peerZk.close();
        }
        server.close();
    }
}
