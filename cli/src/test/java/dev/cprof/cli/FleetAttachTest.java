package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cprof.discovery.registry.FleetView;
import dev.cprof.session.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * attach --service through a real ZooKeeper (TestingServer) and a real peer (in process) to real
 * JVMs; list and sessions read the same ZooKeeper.
 */
class FleetAttachTest {
    private static final String HOST = "fleet-test";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static LocalFleet fleet;
    private static TestingServer server;
    private static CuratorFramework zk;

    @TempDir
    Path dir;

    @BeforeAll
    static void fleet() throws Exception {
        fleet = LocalFleet.start(HOST);
        server = fleet.server();
        zk = fleet.zk();
    }

    @AfterAll
    static void close() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void everyInstanceAndAJoinerAppearPerInstanceAndListAndSessionsShowThem() throws Exception {
        String service = Checkouts.uniqueService("checkout");
        Path out = dir.resolve("fleet.collapsed");
        try (TargetProcess a = Checkouts.start(service); TargetProcess b = Checkouts.start(service);
             TargetProcess c = Checkouts.start(service)) {
            awaitTrue(10_000, () -> registered(service) == 3);

            Cli.Result list = Cli.run("list", "--zk", server.getConnectString(), "--service", service, "--json");
            assertEquals(0, list.code(), list.err());
            JsonNode rows = JSON.readTree(list.out());
            assertEquals(3, rows.size(), list.out());
            Set<Long> listed = new TreeSet<>();
            for (JsonNode r : rows) {
                assertEquals(service, r.get("service").asText());
                assertEquals(HOST, r.get("host").asText());
                assertTrue(r.get("jdk").asText().startsWith("17") || !r.get("jdk").asText().isEmpty(), r.toString());
                assertTrue(r.get("uptime_s").asLong() >= 0, r.toString());
                listed.add(r.get("pid").asLong());
            }
            assertEquals(new TreeSet<>(List.of(a.pid(), b.pid(), c.pid())), listed);

            CompletableFuture<Cli.Result> session = CompletableFuture.supplyAsync(() -> Cli.run("attach", "--service", service,
                    "--zk", server.getConnectString(), "-d", "6s", FleetHarness.FLUSH, "--per-instance", "-o", out.toString(), "--json"));
            awaitTrue(5_000, () -> sessionCount(service) == 1);
            Cli.Result sessions = Cli.run("sessions", "--zk", server.getConnectString(), "--json");
            assertEquals(0, sessions.code(), sessions.err());
            JsonNode mine = null;
            for (JsonNode s : JSON.readTree(sessions.out())) {
                if (s.get("service").asText().equals(service)) {
                    mine = s;
                }
            }
            assertTrue(mine != null, sessions.out());
            assertEquals(System.getProperty("user.name"), mine.get("user").asText());
            assertEquals("cpu", mine.get("events").get(0).asText());
            long planned = mine.get("planned_end_ms").asLong() - mine.get("start_ms").asLong();
            assertEquals(6000, planned, 1000, mine.toString());

            // the joiner starts once the session has attached the first three
            FleetHarness.awaitTrue(15_000, "the three JVMs sampling", () -> FleetHarness.samplerThreads(a.pid()) > 0
                    && FleetHarness.samplerThreads(b.pid()) > 0 && FleetHarness.samplerThreads(c.pid()) > 0);
            try (TargetProcess joiner = Checkouts.start(service)) {
                Cli.Result r = session.get();
                assertEquals(0, r.code(), r.err() + r.out());
                Set<String> labels = new HashSet<>();
                for (String line : Files.readAllLines(out)) {
                    labels.add(line.substring(0, line.indexOf(';')));
                }
                for (long pid : List.of(a.pid(), b.pid(), c.pid(), joiner.pid())) {
                    assertTrue(labels.contains(HOST + ":" + pid + " " + service), pid + " not in " + labels);
                }
                JsonNode summary = JSON.readTree(r.out());
                assertEquals(4, summary.get("instances").asInt(), r.out());
                for (JsonNode row : summary.get("per_instance")) {
                    assertTrue(row.get("samples").asLong() > 0, row.toString());
                    assertTrue(row.get("wire_bytes").asLong() > 0, row.toString());
                    assertTrue(row.get("error").isNull(), row.toString());
                }
            }
            awaitTrue(5_000, () -> sessionCount(service) == 0);
        }
    }

    @Test
    void anInstanceKilledMidSessionMakesItPartialAndTheRestIsWritten() throws Exception {
        String service = Checkouts.uniqueService("checkout");
        Path out = dir.resolve("partial.collapsed");
        try (TargetProcess a = Checkouts.start(service); TargetProcess doomed = Checkouts.start(service)) {
            awaitTrue(10_000, () -> registered(service) == 2);
            CompletableFuture<Cli.Result> session = CompletableFuture.supplyAsync(() -> Cli.run("attach", "--service", service,
                    "--zk", server.getConnectString(), "-d", "4s", FleetHarness.FLUSH, "--per-instance", "-o", out.toString()));
            FleetHarness.awaitTrue(10_000, "both JVMs sampling", () -> FleetHarness.samplerThreads(a.pid()) > 0
                    && FleetHarness.samplerThreads(doomed.pid()) > 0);
            Thread.sleep(FleetHarness.BATCHES_MS); // a few batches from each
            doomed.close();
            Cli.Result r = session.get();
            assertEquals(ExitCodes.PARTIAL, r.code(), r.err());
            assertTrue(r.err().contains(HOST + ":" + doomed.pid() + " " + service + ": ended mid-session (exited)"), r.err());
            // per instance: the survivor's samples and the killed instance's up to its death
            Map<String, Long> byInstance = FleetHarness.samplesByRoot(out);
            long survived = byInstance.getOrDefault(HOST + ":" + a.pid() + " " + service, 0L);
            long died = byInstance.getOrDefault(HOST + ":" + doomed.pid() + " " + service, 0L);
            assertTrue(survived > 0, byInstance.toString());
            assertTrue(died > 0, "the killed instance's samples up to its death are kept: " + byInstance);
            System.out.println("RELIABILITY: instance-kill faults=1 (target JVM killed mid-session, 4 s session) instances=2 exit="
                    + r.code() + " survivor_samples=" + survived + " killed_instance_samples=" + died + " losses=0");
        }
    }

    @Test
    void noInstanceIsExit4SayingWhereItLooked() {
        Cli.Result r = Cli.run("attach", "--service", "nobody-here", "--zk", server.getConnectString(), "-d", "1s",
                "-o", dir.resolve("x.html").toString());
        assertEquals(ExitCodes.NOTHING_FOUND, r.code(), r.err());
        assertEquals("cprof: no instance of service 'nobody-here' under /cprof/v1/services/nobody-here on ZooKeeper "
                + server.getConnectString(), r.err().strip());
        assertTrue(!Files.exists(dir.resolve("x.html")));
    }

    private static int registered(String service) {
        try {
            return new FleetView(zk).instances(service).size();
        } catch (Exception e) {
            return -1;
        }
    }

    private static long sessionCount(String service) {
        try {
            return dev.cprof.discovery.registry.SessionNode.list(zk).stream().filter(s -> s.service().equals(service)).count();
        } catch (Exception e) {
            return -1;
        }
    }

    static void awaitTrue(long ms, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + ms;
        while (!condition.getAsBoolean()) {
            assertTrue(System.currentTimeMillis() < deadline, "condition not met within " + ms + " ms");
            Thread.sleep(50);
        }
    }
}
