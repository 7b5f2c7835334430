package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cprof.session.ExitCodes;
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
 * {@code --instances} end to end on this host (no ZooKeeper): real JVMs of one service, a part of
 * them chosen at the start, joiners admitted at the rate; the summary line, --json and the HTML
 * title say how many of how many; bad values are usage errors. The choice itself, on fleets of
 * thousands, is InstanceSubsetTest's (cli/session); the spread over hosts through real peers is
 * FleetNetnsTest's.
 */
class InstancesOptionTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void badValuesAreUsageErrorsBeforeAnythingIsAttached() {
        String html = dir.resolve("x.html").toString();
        for (String bad : List.of("0", "150%", "abc", "0%", "-2")) {
            Cli.Result r = Cli.run("attach", "--service", "nobody", "--instances", bad, "-d", "1s", "-o", html);
            assertEquals(ExitCodes.USAGE, r.code(), bad + ": " + r.err());
            assertTrue(r.err().startsWith("cprof: --instances: "), r.err());
            assertTrue(r.err().contains("e.g. --instances 50 or --instances 5%"), r.err());
        }
        Cli.Result top = Cli.run("top", "--service", "nobody", "--instances", "abc", "-b", "-d", "1s");
        assertEquals(ExitCodes.USAGE, top.code(), top.err());
        assertEquals("cprof: --instances: 'abc' is neither a number of instances nor a percentage"
                + " (e.g. --instances 50 or --instances 5%)", top.err().strip());
        Cli.Result pids = Cli.run("attach", "--pid", Long.toString(ProcessHandle.current().pid()), "--instances", "1", "-o", html);
        assertEquals(ExitCodes.USAGE, pids.code(), pids.err());
        assertEquals("cprof: --instances applies to --service, not to --pid", pids.err().strip());
        Cli.Result spread = Cli.run("attach", "--service", "nobody", "--spread-by", "zone", "-o", html);
        assertEquals(ExitCodes.USAGE, spread.code(), spread.err());
        assertTrue(spread.err().contains("--spread-by needs --instances"), spread.err());
        assertTrue(!Files.exists(Path.of(html)));
    }

    /**
     * Four JVMs, --instances 50 %: two are profiled from the start. Then two joiners: the first
     * would put the share above 50 % (3 of 5) and is left out, the second keeps it at 50 % (3 of 6)
     * and is admitted, whichever of the two the scan sees first.
     */
    @Test
    void halfOfFourJvmsAreProfiledAndOfTwoJoinersTheSecondIsAdmitted() throws Exception {
        assumeTrue(getClass().getResource(dev.cprof.agent.AgentLibrary.RESOURCE) != null,
                "ASSUMPTION: libcprof.so is not in the native-agent jar; skipped");
        String service = Checkouts.uniqueService("part");
        Path out = dir.resolve("part.collapsed");
        List<TargetProcess> jvms = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                jvms.add(Checkouts.start(service));
            }
            FleetHarness.awaitTrue(30_000, "the four JVMs listed", () -> listed(service) == 4);
            CompletableFuture<Cli.Result> session = CompletableFuture.supplyAsync(() -> Cli.run("attach", "--service", service,
                    "--instances", "50%", "-d", "20s", FleetHarness.FLUSH, "--per-instance", "--json", "-o", out.toString()));
            FleetHarness.awaitTrue(15_000, "two of the four sampling",
                    () -> jvms.stream().filter(j -> FleetHarness.samplerThreads(j.pid()) > 0).count() == 2);
            List<TargetProcess> joiners = List.of(Checkouts.start(service), Checkouts.start(service));
            jvms.addAll(joiners);
            FleetHarness.awaitTrue(15_000, "a joiner sampling",
                    () -> joiners.stream().anyMatch(j -> FleetHarness.samplerThreads(j.pid()) > 0));
            Cli.Result r = session.get(60, TimeUnit.SECONDS);
            assertEquals(0, r.code(), r.err());

            JsonNode summary = JSON.readTree(r.out());
            assertEquals(3, summary.get("instances").asInt(), r.out());
            assertEquals(3, summary.get("instances_profiled").asInt(), r.out());
            assertEquals(6, summary.get("instances_seen").asInt(), r.out());
            Map<String, Long> byInstance = FleetHarness.samplesByRoot(out);
            assertEquals(3, byInstance.size(), byInstance.toString());
            int initial = 0;
            for (TargetProcess j : jvms.subList(0, 4)) {
                initial += profiled(byInstance, j.pid()) ? 1 : 0;
            }
            assertEquals(2, initial, "two of the four present at the start: " + byInstance);
            assertTrue(profiled(byInstance, joiners.get(0).pid()) != profiled(byInstance, joiners.get(1).pid()),
                    "exactly one joiner admitted: " + byInstance);

            // the same in words, and in the title of an HTML page
            Cli.Result words = Cli.run("attach", "--service", service, "--instances", "2", "-d", "2s",
                    "-o", dir.resolve("part.html").toString());
            assertEquals(0, words.code(), words.err());
            assertTrue(words.err().lines().anyMatch(l -> l.startsWith("cprof: profiled 2 of 6 instances, ")), words.err());
            String page = Files.readString(dir.resolve("part.html"));
            assertTrue(page.contains("<title>cprof cpu --service " + service + " --instances 2 · profiled 2 of 6 instances</title>"),
                    page.substring(0, Math.min(page.length(), 600)));
        } finally {
            for (TargetProcess j : jvms) {
                j.close();
            }
        }
    }

    /** A long session and top take --instances too: the intervals, latest.html's title and top's last line say it. */
    @Test
    void longSessionsAndTopProfileThePartToo() throws Exception {
        assumeTrue(getClass().getResource(dev.cprof.agent.AgentLibrary.RESOURCE) != null,
                "ASSUMPTION: libcprof.so is not in the native-agent jar; skipped");
        String service = Checkouts.uniqueService("partlong");
        try (TargetProcess a = Checkouts.start(service); TargetProcess b = Checkouts.start(service)) {
            FleetHarness.awaitTrue(30_000, "the two JVMs listed", () -> listed(service) == 2);
            Path out = dir.resolve("intervals");
            Cli.Result r = Cli.run("attach", "--service", service, "--instances", "1", "--continuous", "--rotate", "2s", "-d", "5s",
                    FleetHarness.FLUSH, "-o", out + "/");
            assertEquals(0, r.code(), r.err());
            String page = Files.readString(out.resolve("latest.html"));
            assertTrue(page.matches("(?s).*<title>cprof cpu --service " + service + " --instances 1 · last \\d+ intervals? to \\S+"
                    + " · profiled 1 of 2 instances</title>.*"), page.substring(0, Math.min(page.length(), 600)));
            List<Path> intervals;
            try (var files = Files.list(out)) {
                intervals = files.filter(f -> f.toString().endsWith(".cprof")).toList();
            }
            assertTrue(!intervals.isEmpty(), r.err());
            for (Path f : intervals) {
                try (var in = Files.newInputStream(f)) {
                    var metadata = dev.cprof.profile.Format.CPROF.read(in, f.toString()).metadata();
                    assertEquals("profiled 1 of 2 instances", metadata.get("instances"), f + ": " + metadata);
                    assertTrue(metadata.get("instances_seed").matches("-?\\d+"), metadata.toString());
                }
            }

            Cli.Result top = Cli.run("top", "--service", service, "--instances", "50%", "-b", "--every", "1s", "-d", "3s");
            assertEquals(0, top.code(), top.err());
            assertTrue(top.out().contains("cprof top --service " + service + " --instances 50% · cpu · "), top.out());
            assertTrue(top.err().contains("cprof: profiled 1 of 2 instances (--instances 50%)"), top.err());
        }
    }

    private static boolean profiled(Map<String, Long> byInstance, long pid) {
        return byInstance.keySet().stream().anyMatch(k -> k.contains(":" + pid + " ") && byInstance.get(k) > 0);
    }

    private static int listed(String service) {
        Cli.Result list = Cli.run("list", "--service", service, "--json");
        try {
            return list.code() == 0 ? JSON.readTree(list.out()).size() : 0;
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
