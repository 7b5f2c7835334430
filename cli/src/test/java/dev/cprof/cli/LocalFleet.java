package dev.cprof.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cprof.agent.AgentLibrary;
import dev.cprof.agent.Attacher;
import dev.cprof.discovery.peer.Peer;
import dev.cprof.discovery.registry.ZkClients;
import java.net.InetSocketAddress;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/**
 * A fleet of one host for a test class: a real ZooKeeper (short ticks, so expired sessions go
 * within seconds), a real peer in process on loopback, and a client for the test's own reads.
 * Skips the class (an assumption) where the agent library or jattach is missing.
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
        assumeTrue(LocalFleet.class.getResource(AgentLibrary.RESOURCE) != null,
                "ASSUMPTION: libcprof.so is not in the native-agent jar; fleet tests skipped");
        assumeTrue(Attacher.findJattach() != null, "ASSUMPTION: jattach is not installed; fleet tests skipped");
        TestingServer server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 250, -1), true);
        CuratorFramework peerZk = ZkClients.start(server.getConnectString(), null, 3000);
        CuratorFramework zk = ZkClients.start(server.getConnectString(), null, 3000);
        Peer peer = Peer.start(Peer.Config.defaults(peerZk).withHost(host).withListen(new InetSocketAddress("127.0.0.1", 0)));
        return new LocalFleet(server, peerZk, zk, peer);
    }

    TestingServer server() {
        return server;
    }

    /** A client of the test's own, beside the peer's. */
    CuratorFramework zk() {
        return zk;
    }

    @Override
    public void close() throws Exception {
        peer.close();
        zk.close();
        peerZk.close();
        server.close();
    }
}
