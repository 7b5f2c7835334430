package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.cli.workload.PhaseSwitch;
import dev.cprof.session.ExitCodes;
import dev.cprof.testkit.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Time ranges of one real session: two JVMs running {@link PhaseSwitch}; the first switches from
 * phaseA to phaseB in the middle of the session, the second stays in phaseA. {@code convert
 * --from/--to} and {@code diff --base-range/--range} must see the switch, per instance too.
 */
class TimeRangeTest {
    @TempDir
    static Path dir;
    static Path profile;
    static Instant switched;
    static String switcherLabel;

    @BeforeAll
    static void session() throws Exception {
        Path trigger = dir.resolve("switch-now");
        Path when = dir.resolve("switched-at");
        profile = dir.resolve("phases.cprof");
        try (TargetProcess switcher = phaseSwitch(trigger, when);
                TargetProcess steady = phaseSwitch(dir.resolve("never"), dir.resolve("never-at"))) {
            switcherLabel = ":" + switcher.pid();
            CompletableFuture<Cli.Result> attach = CompletableFuture.supplyAsync(() -> Cli.run("attach", "--pid",
                    switcher.pid() + "," + steady.pid(), "-d", "11s", "-o", profile.toString(), "--quiet"));
            assertTrue(Await.until(30_000, () -> agentLoaded(switcher.pid()) && agentLoaded(steady.pid())), "agents loaded");
            // Phase A must last a while inside the session: this wait is the workload's duration, not a sync.
            Thread.sleep(4_000);
            Files.createFile(trigger);
            assertTrue(Await.until(10_000, () -> Files.exists(when)), "the workload switched");
            Cli.Result r = attach.get();
            assertEquals(0, r.code(), r.err());
            switched = Instant.parse(Files.readString(when).trim());
        }
    }

    static TargetProcess phaseSwitch(Path trigger, Path when) throws Exception {
        return TargetProcess.start(List.of(TargetProcess.java(), "-Xmx64m", "-XX:+UseSerialGC", "-cp",
                TargetProcess.classPath(PhaseSwitch.class), PhaseSwitch.class.getName(), trigger.toString(), when.toString()));
    }

    static boolean agentLoaded(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/maps")).contains("libcprof");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Collapsed stacks of a conversion: stack → samples. */
    static Map<String, Long> collapsed(String... args) throws Exception {
        Path out = Files.createTempFile(dir, "range", ".collapsed");
        List<String> cmd = new ArrayList<>(List.of("convert", profile.toString(), "-o", out.toString(), "--event", "cpu"));
        cmd.addAll(List.of(args));
        Cli.Result r = Cli.run(cmd.toArray(new String[0]));
        assertEquals(0, r.code(), r.err());
        Map<String, Long> stacks = new HashMap<>();
        for (String line : Files.readAllLines(out)) {
            int sp = line.lastIndexOf(' ');
            stacks.merge(line.substring(0, sp), Long.parseLong(line.substring(sp + 1)), Long::sum);
        }
        return stacks;
    }

    /** Share of the samples (of stacks starting with {@code prefix}) that have {@code method} on the stack. */
    static double share(Map<String, Long> stacks, String prefix, String method) {
        long all = 0;
        long with = 0;
        for (var e : stacks.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                all += e.getValue();
                with += e.getKey().contains(method) ? e.getValue() : 0;
            }
        }
        assertTrue(all > 20, "samples under '" + prefix + "': " + all + " in " + stacks);
        return with / (double) all;
    }

    static String before() {
        return switched.minusMillis(1500).toString(); // an ISO instant
    }

    static String after() {
        // a UTC wall-clock time on the session's date, with milliseconds
        return DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC).format(switched.plusMillis(1500));
    }

    @Test
    void rangesBeforeAndAfterTheSwitchShowOneMethodEach() throws Exception {
        Map<String, Long> first = collapsed("--to", before(), "--per-instance");
        Map<String, Long> second = collapsed("--from", after(), "--per-instance");
        String switcher = first.keySet().stream().map(k -> k.split(";")[0])
                .filter(root -> root.endsWith(switcherLabel) || root.contains(switcherLabel + " ")).findFirst().orElseThrow();
        double a = share(first, switcher, "PhaseSwitch.phaseA");
        double b = share(second, switcher, "PhaseSwitch.phaseB");
        System.out.printf("TimeRangeTest: switch at %s; before (..%s) phaseA %.1f %%, after (%s..) phaseB %.1f %%%n",
                switched, before(), 100 * a, after(), 100 * b);
        assertTrue(a >= 0.9, "before the switch phaseA " + a);
        assertTrue(b >= 0.9, "after the switch phaseB " + b);
        // the other instance never switched: phaseA in both ranges
        String steady = second.keySet().stream().map(k -> k.split(";")[0]).filter(k -> !k.equals(switcher)).findFirst().orElseThrow();
        assertTrue(share(second, steady, "PhaseSwitch.phaseA") >= 0.9, "the steady instance after the switch");
        // the whole profile has both
        Map<String, Long> all = collapsed();
        double whole = share(all, "", "PhaseSwitch.phaseB");
        assertTrue(whole > 0.05 && whole < 0.5, "phaseB in the whole session " + whole);
        // relative points: +0s..-0s is the whole session
        assertEquals(all, collapsed("--from", "+0s", "--to=-0s"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void diffOfTwoRangesNamesTheSwitch() {
        Cli.Result r = Cli.run("diff", profile.toString(), profile.toString(), "--base-range", ".." + before(),
                "--range", after() + "..", "--json", "--top", "0");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> o = (Map<String, Object>) new DiffCommandTest.TinyJson(r.out().trim()).parseAll();
        Map<String, Double> delta = new HashMap<>();
        for (Object row : (List<Object>) o.get("rows")) {
            Map<String, Object> m = (Map<String, Object>) row;
            String method = (String) m.get("method");
            String key = method.contains("PhaseSwitch.phaseA") ? "A" : method.contains("PhaseSwitch.phaseB") ? "B" : method;
            delta.merge(key, ((Number) m.get("deltaSelf")).doubleValue(), Double::sum);
        }
        // half the samples (one of two instances) moved from A to B
        assertTrue(delta.getOrDefault("B", 0.0) >= 35, "B up: " + delta);
        assertTrue(delta.getOrDefault("A", 0.0) <= -35, "A down: " + delta);
        Cli.Result table = Cli.run("diff", profile.toString(), profile.toString(), "--base-range", ".." + before(),
                "--range", after() + "..", "--per-instance");
        assertEquals(0, table.code(), table.err());
        assertTrue(table.out().contains("PhaseSwitch.phaseB"), table.out());
    }

    @Test
    void badRangesAreUsageErrors() throws Exception {
        String p = profile.toString();
        Path svg = dir.resolve("x.svg");
        assertUsage(Cli.run("convert", p, "-o", svg.toString(), "--from", "12:3x"), "'12:3x' is not a time");
        assertUsage(Cli.run("convert", p, "-o", svg.toString(), "--from", "+5s", "--to", "+2s"), "empty range");
        assertUsage(Cli.run("convert", p, "-o", svg.toString(), "--from", "+1h"), "is outside");
        assertUsage(Cli.run("convert", p, "-o", svg.toString(), "--to", "2001-01-01T00:00:00Z"), "is outside");
        assertUsage(Cli.run("diff", p, p, "--range", "+2s"), "is not a range FROM..TO");
        assertUsage(Cli.run("diff", p, p, "--base-range", "x..+2s"), "'x' is not a time");
        assertUsage(Cli.run("convert", p, "-o", svg.toString(), "--bucket", "1500ms"), "not a multiple");
        Path flat = dir.resolve("flat.collapsed");
        assertEquals(0, Cli.run("convert", p, "-o", flat.toString()).code());
        assertUsage(Cli.run("convert", flat.toString(), "-o", svg.toString(), "--from", "+1s"), "has no time buckets");
        assertTrue(!Files.exists(svg), "no output on an error");
    }

    @Test
    void theHtmlOfTheSessionEmbedsItsBuckets() throws Exception {
        Path html = dir.resolve("phases.html");
        assertEquals(0, Cli.run("convert", profile.toString(), "-o", html.toString()).code());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "\"timeline\":\\{\"startNs\":(\\d+),\"bucketNs\":1000000000,\"count\":(\\d+),\"capped\":false,\"capBytes\":10485760}")
                .matcher(Files.readString(html));
        assertTrue(m.find(), "timeline of 1 s buckets, not capped");
        int count = Integer.parseInt(m.group(2));
        assertTrue(count >= 8 && count <= 14, "an 11 s session in 1 s buckets: " + count);
        assertEquals(0, Long.parseLong(m.group(1)) % 1_000_000_000L, "buckets start on whole seconds");
        Path small = dir.resolve("small.html");
        assertEquals(0, Cli.run("convert", profile.toString(), "-o", small.toString(), "--html-max", "20k").code());
        assertTrue(Files.readString(small).contains("\"capped\":true"), "a small --html-max coarsens the page's buckets");
    }

    @Test
    void coarserBucketsKeepTheSamples() throws Exception {
        assertEquals(collapsed(), collapsed("--bucket", "2s"));
    }

    static void assertUsage(Cli.Result r, String words) {
        assertEquals(ExitCodes.USAGE, r.code(), r.err());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains(words), r.err());
    }
}
