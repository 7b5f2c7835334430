package dev.cprof.cli;

import static dev.cprof.cli.FleetHarness.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.cli.demo.CheckoutService;
import dev.cprof.discovery.peer.Peer;
import dev.cprof.discovery.registry.FleetView;
import dev.cprof.discovery.registry.ZkClients;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM in its own pid and mount namespace with its own /tmp (a tmpfs), like a container,
 * profiled through the host's peer: the peer finds it through /proc, jattach enters its
 * namespaces, the library is copied in through /proc/<pid>/root/tmp and the agent's socket is
 * reached there. Needs root and util-linux's unshare.
 */
class FleetContainerTest {
    private static final String HOST = "container-host";

    @TempDir
    Path dir;

    @Test
    void aJvmInItsOwnPidAndMountNamespaceIsProfiledThroughTheHostPeer() throws Exception {
        FleetHarness.require("the container test", true, "unshare", "mount");
        String service = Checkouts.uniqueService("container");
        String java = String.join(" ", TargetProcess.java(), "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dcprof.service=" + service, "-cp", "/mnt", CheckoutService.class.getName(),
                "--rate", "300", "--warmup-ms", "0");
        // The classes are bound to /mnt before the container gets its own /tmp: a checkout that
        // lives under /tmp (as CI's may) would otherwise vanish under the tmpfs.
        // --kill-child: when the test ends unshare, its child (pid 1 of the namespace) and so the whole namespace go too
        List<String> cmd = List.of("unshare", "--pid", "--mount", "--fork", "--kill-child", "--mount-proc",
                "sh", "-c", "mount --bind '" + Checkouts.mainClasses() + "' /mnt && mount -t tmpfs tmpfs /tmp && exec " + java);
        try (TestingServer server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 250, -1), true);
             CuratorFramework peerZk = ZkClients.start(server.getConnectString(), null, 3000);
             CuratorFramework zk = ZkClients.start(server.getConnectString(), null, 3000);
             Peer peer = Peer.start(Peer.Config.defaults(peerZk).withHost(HOST).withListen(new InetSocketAddress("127.0.0.1", 0)));
             TargetProcess container = TargetProcess.start(cmd)) {
            long pid = FleetHarness.childOf(container.pid());
            assertTrue(pid > 0, "the JVM under unshare");
            Path proc = Path.of("/proc", Long.toString(pid));
            assertNotEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")), Files.readSymbolicLink(proc.resolve("ns/mnt")));
            assertNotEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")), Files.readSymbolicLink(proc.resolve("ns/pid")));
            String status = Files.readString(proc.resolve("status"));
            assertTrue(status.lines().anyMatch(l -> l.startsWith("NSpid:") && l.trim().endsWith("\t1")), status);

            FleetView fleet = new FleetView(zk);
            awaitTrue(10_000, "the container's JVM registered", () -> {
                try {
                    return fleet.instances(service).stream().anyMatch(r -> r.pid() == pid);
                } catch (Exception e) {
                    return false;
                }
            });
            Path out = dir.resolve("container.collapsed");
            Cli.Result r = Cli.run("attach", "--service", service, "--zk", server.getConnectString(), "-d", "5s",
                    "--per-instance", "-o", out.toString());
            assertEquals(0, r.code(), r.err());
            Map<String, Long> byInstance = FleetHarness.samplesByRoot(out);
            String label = HOST + ":" + pid + " " + service;
            assertTrue(byInstance.getOrDefault(label, 0L) > 0, label + " not in " + byInstance);
            assertTrue(Files.readString(out).contains("CheckoutService"), "the container's own Java frames");

            // the agent lives in the container: its socket in the container's /tmp, not the host's
            assertTrue(Files.exists(proc.resolve("root/tmp/cprof-1.sock")), "agent socket in the container's /tmp");
        }
    }
}
