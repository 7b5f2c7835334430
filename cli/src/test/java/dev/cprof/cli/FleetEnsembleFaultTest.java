package dev.cprof.cli;

import static dev.cprof.cli.FleetHarness.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cprof.discovery.peer.Peer;
import dev.cprof.discovery.registry.FleetView;
import dev.cprof.discovery.registry.ZkClients;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real 3-node ZooKeeper ensemble loses its leader mid-session: peer and CLI ride through the
 * election (their sessions survive on the remaining quorum), so the session completes with exit 0
 * and every instance's data, and no peer mistakes the reconnect for the end of the session.
 */
class FleetEnsembleFaultTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HOST = "ensemble-host";

    @TempDir
    Path dir;

    @Test
    void leaderLossMidSessionCompletesWithEveryInstance() throws Exception {
        FleetHarness.require("the ZooKeeper ensemble fault test", false);
        String service = Checkouts.uniqueService("ensemble");
        List<InstanceSpec> specs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            specs.add(new InstanceSpec(null, -1, -1, -1, true, -1, 250, -1)); // short ticks: a quick election
        }
        Path out = dir.resolve("ensemble.collapsed");
        try (TestingCluster cluster = new TestingCluster(specs)) {
            cluster.start();
            try (CuratorFramework peerZk = ZkClients.start(cluster.getConnectString(), null, 6000);
                 CuratorFramework zk = ZkClients.start(cluster.getConnectString(), null, 6000);
                 Peer peer = Peer.start(Peer.Config.defaults(peerZk).withHost(HOST).withListen(new InetSocketAddress("127.0.0.1", 0)));
                 TargetProcess a = Checkouts.start(service); TargetProcess b = Checkouts.start(service)) {
                FleetView fleet = new FleetView(zk);
                awaitTrue(20_000, "two instances registered", () -> FleetHarness.instances(fleet, service).size() == 2);

                CompletableFuture<Cli.Result> session = CompletableFuture.supplyAsync(() -> Cli.run("attach", "--service",
                        service, "--zk", cluster.getConnectString(), "-d", "10s", "--per-instance", "-o", out.toString(), "--json"));
                awaitTrue(15_000, "both JVMs sampling", () -> FleetHarness.samplerThreads(a.pid()) > 0
                        && FleetHarness.samplerThreads(b.pid()) > 0);
                Thread.sleep(1000);
                InstanceSpec leader = null;
                for (InstanceSpec s : cluster.getInstances()) {
                    if (FleetHarness.isLeader(s.getPort())) {
                        leader = s;
                    }
                }
                assertTrue(leader != null, "no server says it leads");
                assertTrue(cluster.killServer(leader), "leader killed");
                long killed = System.currentTimeMillis();
                awaitTrue(20_000, "a new leader", () -> cluster.getInstances().stream().anyMatch(s -> FleetHarness.isLeader(s.getPort())));
                long electedMs = System.currentTimeMillis() - killed;

                Cli.Result r = session.get(60, TimeUnit.SECONDS);
                assertEquals(0, r.code(), r.err() + r.out());
                Map<String, Long> byInstance = FleetHarness.samplesByRoot(out);
                for (long pid : List.of(a.pid(), b.pid())) {
                    assertTrue(byInstance.getOrDefault(HOST + ":" + pid + " " + service, 0L) > 0, pid + " in " + byInstance);
                }
                JsonNode summary = JSON.readTree(r.out());
                assertEquals(2, summary.get("instances").asInt(), r.out());
                for (JsonNode row : summary.get("per_instance")) {
                    assertTrue(row.get("error").isNull() && row.get("samples").asLong() > 0, row.toString());
                }
                // the instances are still registered after the election (ephemeral nodes kept or re-created)
                awaitTrue(15_000, "registrations survive", () -> FleetHarness.instances(fleet, service).size() == 2);
                System.out.println("RELIABILITY: zk-leader-loss faults=1 (leader of a 3-node ensemble killed mid-session, 10 s session)"
                        + " instances=2 exit=" + r.code() + " samples=" + byInstance.values() + " new_leader_after_ms=" + electedMs
                        + " losses=0");
            }
        }
    }
}
