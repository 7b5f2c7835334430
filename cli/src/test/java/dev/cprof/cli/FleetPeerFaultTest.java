package dev.cprof.cli;

import static dev.cprof.cli.FleetHarness.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cprof.cli.demo.CheckoutService;
import dev.cprof.discovery.FleetView;
import dev.cprof.discovery.InstanceRecord;
import dev.cprof.discovery.Peer;
import dev.cprof.discovery.ZkClients;
import java.io.File;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A peer killed (SIGKILL) mid-session: the session still ends on time and writes, exit 3; the
 * killed peer's instance keeps what it sent before the kill and is listed as failed; the other
 * peer's instance completes. Two peers on one host: each names only "its" JVM (naming rules on
 * two main classes), so no JVM is registered twice.
 */
class FleetPeerFaultTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The main class of the JVM served by the surviving peer. */
    public static final class Survivor {
        public static void main(String[] args) throws Exception {
            CheckoutService.main(args);
        }
    }

    /** The main class of the JVM served by the peer that gets killed. */
    public static final class Doomed {
        public static void main(String[] args) throws Exception {
            CheckoutService.main(args);
        }
    }

    @TempDir
    Path dir;

    @Test
    void aPeerKilledMidSessionKeepsItsDataAndTheOtherPeerCompletesExit3() throws Exception {
        FleetHarness.require("the peer fault test", false);
        String service = Checkouts.uniqueService("peerkill");
        Path survivorRules = Files.writeString(dir.resolve("survivor.rules"), "FleetPeerFaultTest\\$Survivor$ = " + service + "\n");
        Path doomedRules = Files.writeString(dir.resolve("doomed.rules"), "FleetPeerFaultTest\\$Doomed$ = " + service + "\n");
        Path peerLog = dir.resolve("doomed-peer.log");
        Path out = dir.resolve("peerkill.collapsed");
        try (TestingServer server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 250, -1), true);
             CuratorFramework peerZk = ZkClients.start(server.getConnectString(), null, 3000);
             CuratorFramework zk = ZkClients.start(server.getConnectString(), null, 3000);
             Peer survivorPeer = Peer.start(Peer.Config.defaults(peerZk).withHost("survivor-host")
                     .withListen(new InetSocketAddress("127.0.0.1", 0)).withRulesFile(survivorRules))) {
            Process doomedPeer = FleetHarness.cprof(List.of(), peerLog, "peer", "--zk", server.getConnectString(),
                    "--listen", "127.0.0.1:0", "--host", "doomed-host", "--rules", doomedRules.toString());
            try (TargetProcess survivor = start(Survivor.class); TargetProcess doomed = start(Doomed.class)) {
                FleetHarness.awaitLog(doomedPeer, peerLog, "listening on", 30_000);
                FleetView fleet = new FleetView(zk);
                awaitTrue(15_000, "one instance per peer", () -> {
                    List<InstanceRecord> all = instances(fleet, service);
                    return all.size() == 2 && all.stream().anyMatch(r -> r.host().equals("doomed-host") && r.pid() == doomed.pid())
                            && all.stream().anyMatch(r -> r.host().equals("survivor-host") && r.pid() == survivor.pid());
                });

                CompletableFuture<Cli.Result> session = CompletableFuture.supplyAsync(() -> Cli.run("attach", "--service",
                        service, "--zk", server.getConnectString(), "-d", "9s", "--per-instance", "-o", out.toString(), "--json"));
                awaitTrue(15_000, "both JVMs sampling", () -> FleetHarness.samplerThreads(survivor.pid()) > 0
                        && FleetHarness.samplerThreads(doomed.pid()) > 0);
                Thread.sleep(2500); // a few 1 s batches from each
                FleetHarness.kill9(doomedPeer);
                // its agent lost its only client with the peer: it stops by itself
                awaitTrue(10_000, "the killed peer's agent stops", () -> FleetHarness.samplerThreads(doomed.pid()) == 0);

                Cli.Result r = session.get(60, TimeUnit.SECONDS);
                assertEquals(ExitCodes.PARTIAL, r.code(), r.err() + r.out() + "\ndoomed peer: " + Files.readString(peerLog));
                Map<String, Long> byInstance = FleetHarness.samplesByRoot(out);
                String survivorLabel = "survivor-host:" + survivor.pid() + " " + service;
                String doomedLabel = "doomed-host:" + doomed.pid() + " " + service;
                assertTrue(byInstance.getOrDefault(survivorLabel, 0L) > 0, byInstance.toString());
                assertTrue(byInstance.getOrDefault(doomedLabel, 0L) > 0, "data up to the kill is kept: " + byInstance);
                JsonNode summary = JSON.readTree(r.out());
                assertEquals(2, summary.get("instances").asInt(), r.out());
                for (JsonNode row : summary.get("per_instance")) {
                    if (row.get("pid").asLong() == survivor.pid()) {
                        assertTrue(row.get("error").isNull(), row.toString());
                        assertTrue(row.get("samples").asLong() > 0, row.toString());
                    } else {
                        assertEquals(doomed.pid(), row.get("pid").asLong(), row.toString());
                        assertTrue(row.get("error").asText().contains("peer of doomed-host"), row.toString());
                        assertTrue(row.get("samples").asLong() > 0, row.toString());
                    }
                }
                // the survivor was profiled for the whole session, the doomed one only until the kill
                assertTrue(byInstance.get(survivorLabel) > byInstance.get(doomedLabel), byInstance.toString());
            } finally {
                doomedPeer.destroyForcibly();
                doomedPeer.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static TargetProcess start(Class<?> main) throws Exception {
        return TargetProcess.start(List.of(TargetProcess.java(), "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", Checkouts.mainClasses() + File.pathSeparator + TargetProcess.testClasses(), main.getName(),
                "--rate", "300", "--warmup-ms", "0"));
    }

    static List<InstanceRecord> instances(FleetView fleet, String service) {
        try {
            return fleet.instances(service);
        } catch (Exception e) {
            return List.of();
        }
    }
}
