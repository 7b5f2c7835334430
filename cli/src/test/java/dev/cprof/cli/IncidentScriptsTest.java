package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.session.ExitCodes;
import dev.cprof.testkit.TwoMethods;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/incident/*.sh run as real processes against real JVMs, with CPROF pointing at a wrapper
 * that runs this build's Main from the test classpath (no shaded jar needed).
 */
class IncidentScriptsTest {
    static final Path SCRIPTS = TargetProcess.testClasses().resolve("../../../scripts/incident").normalize();
    static final String DIR_NAME = "cprof-incident-[^/]+-\\d{8}T\\d{6}Z(-\\d+)?";

    @TempDir
    Path work;

    Path cprof;

    @BeforeEach
    void wrapper() throws Exception {
        Path classes = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String cp = System.getProperty("java.class.path") + File.pathSeparator + classes + File.pathSeparator
                + TargetProcess.testClasses();
        cprof = work.resolve("cprof-wrapper.sh");
        Files.writeString(cprof, "#!/bin/sh\nexec '" + TargetProcess.java() + "' -cp '" + cp + "' " + Main.class.getName()
                + " \"$@\"\n", StandardCharsets.UTF_8);
        assertTrue(cprof.toFile().setExecutable(true));
    }

    ScriptRun script(String name, Map<String, String> env, String... args) throws Exception {
        Path script = SCRIPTS.resolve(name);
        assertTrue(Files.isExecutable(script), script + " is executable");
        List<String> cmd = new ArrayList<>(List.of(script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
        pb.environment().put("CPROF", cprof.toString());
        pb.environment().remove("CPROF_ZK");
        pb.environment().putAll(env);
        return ScriptRun.of(pb, 120);
    }

    static List<String> collapsed(Path cprofFile) {
        Cli.Result r = Cli.run("convert", cprofFile.toString(), "-o", "-", "--format", "collapsed", "--event", "cpu");
        assertEquals(0, r.code(), r.err());
        return r.out().lines().toList();
    }

    /** The directory a capture printed: a fresh cprof-incident-HOST-TIMESTAMP under the working directory. */
    Path incidentDir(ScriptRun r) throws java.io.IOException {
        Path dir = Path.of(r.lastLine());
        assertTrue(dir.isAbsolute(), r.out());
        assertEquals(work.toRealPath(), dir.getParent().toRealPath(), r.out());
        assertTrue(dir.getFileName().toString().matches(DIR_NAME), dir.toString());
        assertTrue(Files.isDirectory(dir));
        return dir;
    }

    @Test
    void capturesAPidWithThreadsHeapProfileAndSummary() throws Exception {
        try (TargetProcess jvm = TargetProcess.jvm(TwoMethods.class)) {
            ScriptRun r = script("capture-cpu.sh", Map.of(), Long.toString(jvm.pid()), "3");
            assertEquals(0, r.code(), r.out() + r.err());
            Path dir = incidentDir(r);
            assertTrue(Files.isRegularFile(dir.resolve("profile.html")), r.err());

            String summary = Files.readString(dir.resolve("summary.json"));
            assertTrue(summary.startsWith("{\"instances\":1,\"samples\":{\"cpu\":"), summary);
            assertTrue(summary.contains("\"wall\":"), summary);
            assertTrue(summary.contains("\"pid\":" + jvm.pid()), summary);
            assertTrue(summary.contains("\"errors\":[]"), summary);

            List<String> stacks = collapsed(dir.resolve("profile.cprof"));
            assertTrue(AttachCommandTest.sum(stacks, "TwoMethods.hotA") > 0, String.join("\n", stacks));
            String html = Files.readString(dir.resolve("profile.html"));
            assertTrue(html.contains("<html") && html.contains("TwoMethods.hotA"), "flame graph of the capture");

            String threads = Files.readString(dir.resolve("threads.txt"));
            assertTrue(threads.contains("Full thread dump") || threads.contains("\"main\""), threads);
            assertTrue(threads.contains("dev.cprof.testkit.TwoMethods"), threads);
            String heap = Files.readString(dir.resolve("heap.txt"));
            assertTrue(heap.contains("def new generation") && heap.contains("total"), heap); // -XX:+UseSerialGC
            String info = Files.readString(dir.resolve("info.txt"));
            assertTrue(info.contains("target:   " + jvm.pid()) && info.contains("exit code 0"), info);
            assertTrue(jvm.process.isAlive(), "the target survives");
        }
    }

    @Test
    void capturesAServiceByName() throws Exception {
        String service = "incident-" + UUID.randomUUID().toString().substring(0, 8);
        try (TargetProcess jvm = TargetProcess.jvm(TwoMethods.class, "-Dcprof.service=" + service)) {
            ScriptRun r = script("capture-cpu.sh", Map.of(), service, "3");
            assertEquals(0, r.code(), r.out() + r.err());
            Path dir = incidentDir(r);
            String summary = Files.readString(dir.resolve("summary.json"));
            assertTrue(summary.contains("\"pid\":" + jvm.pid()) && summary.contains("\"service\":\"" + service + "\""), summary);
            assertTrue(Files.isRegularFile(dir.resolve("profile.html")), r.err());
            assertFalse(Files.exists(dir.resolve("threads.txt")), "no thread dump for a service");
            assertTrue(AttachCommandTest.sum(collapsed(dir.resolve("profile.cprof")), "TwoMethods") > 0);
        }
    }

    @Test
    void comparePassesTheDiffExitCodeThrough() throws Exception {
        // a baseline that never ran TwoMethods: every TwoMethods method is new → 'new:5%' trips, exit 10
        Path collapsed = work.resolve("old.collapsed");
        Files.writeString(collapsed, "java.lang.Thread.run;com.example.Old.work 100\n");
        Path baseline = work.resolve("old.cprof");
        assertEquals(0, Cli.run("convert", collapsed.toString(), "-o", baseline.toString()).code());
        try (TargetProcess jvm = TargetProcess.jvm(TwoMethods.class)) {
            ScriptRun r = script("compare-to-baseline.sh", Map.of(), baseline.toString(), "3", Long.toString(jvm.pid()));
            assertEquals(ExitCodes.REGRESSION, r.code(), r.out() + r.err());
            Path dir = incidentDir(r);
            assertTrue(r.out().contains("dev.cprof.testkit.TwoMethods.hotA"), "the table of top changes: " + r.out());
            assertTrue(r.err().contains("cprof: regression: new method ") && r.err().contains("(rule 'new:5%')"), r.err());
            assertTrue(Files.readString(dir.resolve("diff.html")).contains("TwoMethods.hotA"));
            assertTrue(Files.size(dir.resolve("profile.cprof")) > 0);

            // the capture just made as the baseline, a rule it keeps (with a '*' that must not glob): exit 0
            Files.createFile(work.resolve("dev.cprof.cli.workload.Decoy:+50pp"));
            ScriptRun ok = script("compare-to-baseline.sh", Map.of("CPROF_FAIL_ON", "dev.cprof.cli.workload.*:+50pp total:+900%"),
                    dir.resolve("profile.cprof").toString(), "3", Long.toString(jvm.pid()));
            assertEquals(0, ok.code(), ok.out() + ok.err());
            Path second = incidentDir(ok);
            assertFalse(second.equals(dir), "each capture gets its own directory");
            assertTrue(Files.size(second.resolve("diff.html")) > 0);
            assertFalse(ok.err().contains("regression"), ok.err());
        }
    }

    @Test
    void badArgumentsAreOneLineAndExit2() throws Exception {
        ScriptRun none = script("capture-cpu.sh", Map.of());
        assertEquals(2, none.code());
        assertEquals("usage: capture-cpu.sh PID|SERVICE [SECONDS]", none.err().strip());

        ScriptRun seconds = script("capture-cpu.sh", Map.of(), "123", "3s");
        assertEquals(2, seconds.code());
        assertTrue(seconds.err().startsWith("capture-cpu.sh: SECONDS must be a whole number"), seconds.err());

        ScriptRun gone = script("capture-cpu.sh", Map.of(), "999999999", "3");
        assertEquals(1, gone.code());
        assertEquals("capture-cpu.sh: no such process: 999999999", gone.err().strip());

        ScriptRun noBase = script("compare-to-baseline.sh", Map.of(), "missing.cprof", "3", "123");
        assertEquals(2, noBase.code());
        assertEquals("compare-to-baseline.sh: cannot read the baseline 'missing.cprof'", noBase.err().strip());

        ScriptRun usage = script("compare-to-baseline.sh", Map.of(), "only-one");
        assertEquals(2, usage.code());
        assertTrue(usage.err().startsWith("usage: compare-to-baseline.sh BASELINE.cprof [SECONDS] PID|SERVICE"), usage.err());
        try (var files = Files.list(work)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("cprof-incident-")),
                    "no directory for a refused command");
        }
    }
}
