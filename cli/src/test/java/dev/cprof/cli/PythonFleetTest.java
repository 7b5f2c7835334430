package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cprof.agent.Attacher;
import dev.cprof.discovery.peer.Peer;
import dev.cprof.discovery.registry.FleetView;
import dev.cprof.discovery.registry.ZkClients;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * attach --service --zk --python: the peer (in process, real ZooKeeper) samples the Python child
 * of the JVM it attached and relays it as an extra instance whose parent is the JVM.
 */
class PythonFleetTest {
    private static final String HOST = "py-fleet-test";

    @TempDir
    Path dir;

    @Test
    void thePeerRelaysThePythonChildUnderItsJvm() throws Exception {
        assumeTrue(PythonFleetTest.class.getResource(dev.cprof.agent.AgentLibrary.RESOURCE) != null,
                "ASSUMPTION: libcprof.so is not in the native-agent jar; fleet test skipped");
        assumeTrue(Attacher.findJattach() != null, "ASSUMPTION: jattach is not installed; fleet test skipped");
        String service = Checkouts.uniqueService("pyspark");
        PythonAttachTest files = new PythonAttachTest();
        files.dir = dir;
        try (TestingServer server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 250, -1), true);
             CuratorFramework peerZk = ZkClients.start(server.getConnectString(), null, 3000);
             CuratorFramework zk = ZkClients.start(server.getConnectString(), null, 3000);
             Peer peer = Peer.start(Peer.Config.defaults(peerZk).withHost(HOST).withListen(new InetSocketAddress("127.0.0.1", 0)))) {
            TargetProcess jvm = files.parent(1, "python3", 60, "-Dcprof.service=" + service);
            try {
                long py = PythonAttachTest.children(jvm).get(0);
                FleetAttachTest.awaitTrue(10_000, () -> {
                    try {
                        return new FleetView(zk).instances(service).size() == 1;
                    } catch (Exception e) {
                        return false;
                    }
                });
                Path out = dir.resolve("fleet.collapsed");
                Cli.Result r = Cli.run("attach", "--service", service, "--zk", server.getConnectString(), "--python",
                        "--per-instance", "-d", "4s", "-o", out.toString());
                assertEquals(0, r.code(), r.err());
                List<String> lines = Files.readAllLines(out);
                String jvmRoot = HOST + ":" + jvm.pid() + " " + service;
                assertTrue(AttachCommandTest.sum(lines, "PythonParent.jvmSide") > 0, "JVM frames: " + lines);
                long python = AttachCommandTest.sum(lines, jvmRoot + ";[python pid " + py + "];");
                System.out.printf("fleet: %d python samples under %s%n", python, jvmRoot);
                assertTrue(python > 100, "python stacks under the JVM's root: " + lines);
                assertEquals(python, AttachCommandTest.sum(lines, "[python pid "), "every python stack is under it");
                assertTrue(AttachCommandTest.sum(lines, ".hot_a ") > 0, "python frames: " + lines);
            } finally {
                PythonAttachTest.killTree(jvm);
            }
        }
    }
}
