package dev.cprof.cli;

import static dev.cprof.cli.FleetHarness.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cprof.discovery.peer.Peer;
import dev.cprof.discovery.registry.FleetView;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.discovery.registry.ZkClients;
import dev.cprof.discovery.registry.ZkPaths;
import dev.cprof.session.ExitCodes;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ZooKeeper faults seen by the CLI and the peer: ZooKeeper unreachable when a command starts
 * (one clear line, exit 1, no hang), and a peer whose ZooKeeper session expires mid-session (the
 * server closes it, as after a long GC pause or partition): the peer re-creates its ephemeral
 * nodes in a new session and keeps serving, and the running session completes with every instance.
 */
class FleetZkFaultTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HOST = "expiry-host";

    @TempDir
    Path dir;

    @Test
    void zooKeeperDownAtStartIsOneClearLineAndExit1WithinBoundedTime() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // free again once closed: nothing listens there
        }
        String zk = "127.0.0.1:" + port;
        String expected = "cprof: cannot reach ZooKeeper at " + zk + " within 5 s";
        long t0 = System.currentTimeMillis();
        // the three commands that need ZooKeeper, at once (each waits its own 5 s)
        CompletableFuture<Cli.Result> attach = CompletableFuture.supplyAsync(() -> Cli.run("attach", "--service", "checkout",
                "--zk", zk, "-d", "5s", "-o", dir.resolve("never.html").toString()));
        CompletableFuture<Cli.Result> peer = CompletableFuture.supplyAsync(() -> Cli.run("peer", "--zk", zk, "--listen", "127.0.0.1:0"));
        CompletableFuture<Cli.Result> list = CompletableFuture.supplyAsync(() -> Cli.run("list", "--zk", zk));
        List<String> codes = new ArrayList<>();
        for (var f : List.of(attach, peer, list)) {
            Cli.Result r = f.get(60, TimeUnit.SECONDS);
            assertEquals(ExitCodes.FAILED, r.code(), r.err());
            assertArrayEquals(new String[] {expected}, r.errLines(), r.err());
            codes.add(Integer.toString(r.code()));
        }
        long ms = System.currentTimeMillis() - t0;
        assertTrue(ms < 30_000, "no hang: " + ms + " ms"); // 5 s connect timeout each, run side by side
        assertTrue(!Files.exists(dir.resolve("never.html")), "nothing written");
        System.out.println("RELIABILITY: zk-down-at-start faults=1 (nothing listening at " + zk + ") commands=attach,peer,list exit="
                + String.join(",", codes) + " stderr_lines=1 each, all three done after_ms=" + ms);
    }

    /**
     * {@link KillSession} closes the peer's ZooKeeper session on the server: every ephemeral node
     * of the peer goes, Curator opens a new session, the nodes come back (new owner). The agent
     * streams do not depend on ZooKeeper, so the session completes (exit 0) with both instances;
     * a second session through the same peer afterwards works too. Cycles: 1, or 8 under -Psoak.
     */
    @Test
    void aPeersZooKeeperSessionExpiringMidSessionIsRecreatedAndTheSessionCompletes() throws Exception {
        FleetHarness.require("the ZooKeeper session expiry test", false);
        boolean soak = Boolean.getBoolean("cprof.soak");
        int cycles = soak ? 8 : 1;
        int seconds = soak ? 90 : 15; // room for the kill cycle on a loaded machine (10 s failed at load 9-13)
        String service = Checkouts.uniqueService("expiry");
        Path out = dir.resolve("expiry.collapsed");
        try (TestingServer server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 250, -1), true);
             CuratorFramework peerZk = ZkClients.start(server.getConnectString(), null, 3000);
             CuratorFramework zk = ZkClients.start(server.getConnectString(), null, 3000);
             Peer peer = Peer.start(Peer.Config.defaults(peerZk).withHost(HOST).withListen(new InetSocketAddress("127.0.0.1", 0)));
             TargetProcess a = Checkouts.start(service); TargetProcess b = Checkouts.start(service)) {
            FleetView fleet = new FleetView(zk);
            awaitTrue(15_000, "two instances registered", () -> FleetHarness.instances(fleet, service).size() == 2);
            List<String> nodes = List.of(ZkPaths.peer(HOST), ZkPaths.instance(service, InstanceRecord.key(HOST, a.pid())),
                    ZkPaths.instance(service, InstanceRecord.key(HOST, b.pid())));

            CompletableFuture<Cli.Result> session = CompletableFuture.supplyAsync(() -> Cli.run("attach", "--service", service,
                    "--zk", server.getConnectString(), "-d", seconds + "s", "--per-instance", "-o", out.toString(), "--json"));
            long sessionStart = System.currentTimeMillis();
            awaitTrue(15_000, "both JVMs sampling", () -> FleetHarness.samplerThreads(a.pid()) > 0
                    && FleetHarness.samplerThreads(b.pid()) > 0);
            List<Long> recreatedMs = new ArrayList<>();
            for (int cycle = 0; cycle < cycles; cycle++) {
                Thread.sleep(2000);
                long oldSession = peerZk.getZookeeperClient().getZooKeeper().getSessionId();
                for (String node : nodes) {
                    assertEquals(oldSession, owner(zk, node), node + " owned by the peer's session");
                }
                KillSession.kill(peerZk.getZookeeperClient().getZooKeeper());
                long killed = System.currentTimeMillis();
                awaitTrue(15_000, "the peer's nodes re-created in a new session", () -> {
                    long now = owner(zk, nodes.get(0));
                    return now != 0 && now != oldSession && nodes.stream().allMatch(n -> owner(zk, n) == now);
                });
                recreatedMs.add(System.currentTimeMillis() - killed);
                assertNotEquals(oldSession, peerZk.getZookeeperClient().getZooKeeper().getSessionId());
            }
            assertTrue(System.currentTimeMillis() - sessionStart < (seconds - 2) * 1000L, "the cycles fit in the session");

            Cli.Result r = session.get(seconds + 60L, TimeUnit.SECONDS);
            assertEquals(0, r.code(), r.err() + r.out());
            Map<String, Long> byInstance = FleetHarness.samplesByRoot(out);
            for (long pid : List.of(a.pid(), b.pid())) {
                assertTrue(byInstance.getOrDefault(HOST + ":" + pid + " " + service, 0L) > 0, pid + " in " + byInstance);
            }
            JsonNode summary = JSON.readTree(r.out());
            assertEquals(2, summary.get("instances").asInt(), "one stream each, never re-attached: " + r.out());
            for (JsonNode row : summary.get("per_instance")) {
                assertTrue(row.get("error").isNull() && row.get("samples").asLong() > 0, row.toString());
            }

            // the peer keeps serving: a new session through it after the expiry
            Cli.Result again = Cli.run("attach", "--service", service, "--zk", server.getConnectString(), "-d", "3s",
                    "--per-instance", "-o", dir.resolve("again.collapsed").toString());
            assertEquals(0, again.code(), again.err());
            assertEquals(2, FleetHarness.samplesByRoot(dir.resolve("again.collapsed")).size());
            System.out.println("RELIABILITY: zk-session-expiry faults=" + cycles + " (peer's ZooKeeper session killed mid-session, "
                    + seconds + " s session) instances=2 exit=" + r.code() + " samples=" + byInstance.values()
                    + " nodes_recreated_after_ms=" + recreatedMs + " next_session_exit=" + again.code() + " losses=0");
        }
    }

    /** The session id owning an ephemeral node, or 0 when the node is missing. */
    private static long owner(CuratorFramework zk, String path) {
        try {
            Stat stat = zk.checkExists().forPath(path);
            return stat == null ? 0 : stat.getEphemeralOwner();
        } catch (Exception e) {
            return 0;
        }
    }
}
