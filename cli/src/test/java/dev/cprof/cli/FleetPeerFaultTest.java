package dev.cprof.cli;

import static dev.cprof.cli.FleetHarness.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cprof.cli.demo.CheckoutService;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.session.ExitCodes;
import dev.cprof.testkit.TestZk;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
        Path peerLog = dir.resolve("doomed-peer.log");
        Path out = dir.resolve("peerkill.collapsed");
        try (LocalFleet fleet = LocalFleet.start("survivor-host", TestZk.TICK_MS, rules("survivor", Survivor.class, service))) {
            String zk = fleet.connectString();
            Process doomedPeer = FleetHarness.cprof(List.of(), peerLog, doomedPeerArgs(zk, service));
            try (TargetProcess survivor = start(Survivor.class); TargetProcess doomed = start(Doomed.class)) {
                FleetHarness.awaitLog(doomedPeer, peerLog, "listening on", 30_000);
                awaitTrue(15_000, "one instance per peer", () -> {
                    List<InstanceRecord> all = fleet.instances(service);
                    return all.size() == 2 && all.stream().anyMatch(r -> r.host().equals("doomed-host") && r.pid() == doomed.pid())
                            && all.stream().anyMatch(r -> r.host().equals("survivor-host") && r.pid() == survivor.pid());
                });

                CompletableFuture<Cli.Result> session = CompletableFuture.supplyAsync(() -> Cli.run("attach", "--service",
                        service, "--zk", zk, "-d", "6s", FleetHarness.FLUSH, "--per-instance", "-o", out.toString(),
                        "--json"));
                awaitTrue(15_000, "both JVMs sampling", () -> FleetHarness.samplerThreads(survivor.pid()) > 0
                        && FleetHarness.samplerThreads(doomed.pid()) > 0);
                Thread.sleep(FleetHarness.BATCHES_MS); // a few batches from each
                FleetHarness.kill9(doomedPeer);
                long killedAt = System.currentTimeMillis();
                // its agent lost its only client with the peer: it stops by itself
                awaitTrue(10_000, "the killed peer's agent stops", () -> FleetHarness.samplerThreads(doomed.pid()) == 0);
                long agentStopMs = System.currentTimeMillis() - killedAt;

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
                System.out.println("RELIABILITY: peer-kill faults=1 (peer kill -9 mid-session, 6 s session) instances=2 exit=" + r.code()
                        + " survivor_samples=" + byInstance.get(survivorLabel) + " killed_peer_instance_samples=" + byInstance.get(doomedLabel)
                        + " agent_stop_after_kill_ms=" + agentStopMs + " losses=0");
            } finally {
                doomedPeer.destroyForcibly();
                doomedPeer.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * The doomed peer is killed and started again mid-session (cycles: 1, or 6 under -Psoak in a
     * longer session). Its instance's znode goes with the old ZooKeeper session and comes back
     * with the new peer: the session attaches it again, so the profile holds one stream per life
     * of the peer (each with samples), and the session is partial (exit 3) because of the gaps.
     */
    @Test
    void aPeerRestartedMidSessionHasItsInstanceAttachedAgain() throws Exception {
        FleetHarness.require("the peer restart test", false);
        boolean soak = Boolean.getBoolean("cprof.soak");
        int cycles = soak ? 6 : 1;
        int seconds = soak ? 150 : 18;
        String service = Checkouts.uniqueService("peerrestart");
        Path out = dir.resolve("restart.collapsed");
        List<Process> doomedPeers = new ArrayList<>();
        try (LocalFleet fleet = LocalFleet.start("survivor-host", TestZk.TICK_MS, rules("survivor", Survivor.class, service));
             TargetProcess survivor = start(Survivor.class); TargetProcess doomed = start(Doomed.class)) {
            String zk = fleet.connectString();
            String[] peerArgs = doomedPeerArgs(zk, service);
            Path firstLog = dir.resolve("doomed-peer-0.log");
            doomedPeers.add(FleetHarness.cprof(List.of(), firstLog, peerArgs));
            FleetHarness.awaitLog(doomedPeers.get(0), firstLog, "listening on", 30_000);
            awaitTrue(15_000, "one instance per peer", () -> fleet.instances(service).size() == 2);

            CompletableFuture<Cli.Result> session = CompletableFuture.supplyAsync(() -> Cli.run("attach", "--service",
                    service, "--zk", zk, "-d", seconds + "s", FleetHarness.FLUSH, "--per-instance", "-o",
                    out.toString(), "--json"));
            long sessionStart = System.currentTimeMillis();
            awaitTrue(15_000, "both JVMs sampling", () -> FleetHarness.samplerThreads(survivor.pid()) > 0
                    && FleetHarness.samplerThreads(doomed.pid()) > 0);
            List<Long> reattachMs = new ArrayList<>();
            for (int cycle = 1; cycle <= cycles; cycle++) {
                Thread.sleep(FleetHarness.BATCHES_MS); // a few batches from this life of the peer
                FleetHarness.kill9(doomedPeers.get(doomedPeers.size() - 1));
                long killed = System.currentTimeMillis();
                awaitTrue(10_000, "the killed peer's agent stops", () -> FleetHarness.samplerThreads(doomed.pid()) == 0);
                Path log = dir.resolve("doomed-peer-" + cycle + ".log");
                Process again = FleetHarness.cprof(List.of(), log, peerArgs);
                doomedPeers.add(again);
                FleetHarness.awaitLog(again, log, "listening on", 30_000);
                // the old ZooKeeper session expires (5 s here), the new peer's znode replaces it, the CLI attaches again
                awaitTrue(20_000, "the restarted peer's instance profiled again", () -> FleetHarness.samplerThreads(doomed.pid()) > 0);
                reattachMs.add(System.currentTimeMillis() - killed);
            }
            assertTrue(System.currentTimeMillis() - sessionStart < (seconds - 3) * 1000L, "the cycles fit in the session");

            Cli.Result r = session.get(seconds + 60L, TimeUnit.SECONDS);
            assertEquals(ExitCodes.PARTIAL, r.code(), r.err() + r.out());
            JsonNode summary = JSON.readTree(r.out());
            List<JsonNode> doomedRows = new ArrayList<>();
            for (JsonNode row : summary.get("per_instance")) {
                assertTrue(row.get("samples").asLong() > 0, "every stream keeps its samples: " + row);
                if (row.get("pid").asLong() == doomed.pid()) {
                    doomedRows.add(row);
                } else {
                    assertEquals(survivor.pid(), row.get("pid").asLong(), row.toString());
                    assertTrue(row.get("error").isNull(), row.toString());
                }
            }
            assertEquals(cycles + 1, doomedRows.size(), "one stream per life of the peer: " + r.out());
            StringBuilder perLife = new StringBuilder();
            for (int i = 0; i < doomedRows.size(); i++) {
                JsonNode row = doomedRows.get(i);
                if (i < cycles) {
                    assertTrue(row.get("error").asText().contains("peer of doomed-host"), row.toString());
                } else {
                    assertTrue(row.get("error").isNull(), "the last life ran to the end: " + row);
                }
                perLife.append(i == 0 ? "" : ",").append(row.get("samples").asLong());
            }
            Map<String, Long> byInstance = FleetHarness.samplesByRoot(out);
            long doomedTotal = byInstance.getOrDefault("doomed-host:" + doomed.pid() + " " + service, 0L);
            long rowsTotal = doomedRows.stream().mapToLong(row -> row.get("samples").asLong()).sum();
            assertEquals(rowsTotal, doomedTotal, "the profile holds every life's samples: " + byInstance);
            awaitTrue(10_000, "agents stopped after the session", () -> FleetHarness.samplerThreads(doomed.pid()) == 0
                    && FleetHarness.samplerThreads(survivor.pid()) == 0);
            System.out.println("RELIABILITY: peer-restart faults=" + cycles + " (peer kill -9 + restart) session_s=" + seconds
                    + " instances=2 exit=" + r.code() + " survivor_samples=" + byInstance.get("survivor-host:" + survivor.pid() + " " + service)
                    + " restarted_samples_per_life=" + perLife + " reattach_after_kill_ms=" + reattachMs + " losses=0");
        } finally {
            for (Process p : doomedPeers) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static TargetProcess start(Class<?> main) throws Exception {
        return TargetProcess.start(List.of(TargetProcess.java(), "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", Checkouts.mainClasses() + File.pathSeparator + TargetProcess.testClasses(), main.getName(),
                "--rate", "300", "--warmup-ms", "0"));
    }

    /** A naming rules file: {@code main}'s JVMs are {@code service}. */
    private Path rules(String name, Class<?> main, String service) throws Exception {
        return Files.writeString(dir.resolve(name + ".rules"), "FleetPeerFaultTest\\$" + main.getSimpleName() + "$ = " + service + "\n");
    }

    /** {@code cprof peer} for doomed-host, naming only the Doomed JVM: a process, so that it can be killed. */
    private String[] doomedPeerArgs(String zk, String service) throws Exception {
        return new String[] {"peer", "--zk", zk, "--listen", "127.0.0.1:0", "--host", "doomed-host",
                "--rules", rules("doomed", Doomed.class, service).toString()};
    }
}
