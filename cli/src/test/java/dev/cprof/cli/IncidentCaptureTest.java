package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.testkit.TwoMethods;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/incident-capture.sh run as a real process against a real JVM, with CPROF pointing at a
 * wrapper that runs this build's Main from the test classpath (as in {@link IncidentScriptsTest}).
 */
class IncidentCaptureTest {
    static final Path SCRIPT = TargetProcess.testClasses().resolve("../../../scripts/incident-capture.sh").normalize();
    static final String NAME = "cprof-incident-[^/]+-\\d{8}T\\d{6}Z(-\\d+)?";

    @TempDir
    Path work;

    Path wrapper() throws Exception {
        Path classes = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String cp = System.getProperty("java.class.path") + File.pathSeparator + classes + File.pathSeparator
                + TargetProcess.testClasses();
        Path cprof = work.resolve("cprof-wrapper.sh");
        Files.writeString(cprof, "#!/bin/sh\nexec '" + TargetProcess.java() + "' -cp '" + cp + "' " + Main.class.getName()
                + " \"$@\"\n", StandardCharsets.UTF_8);
        assertTrue(cprof.toFile().setExecutable(true));
        return cprof;
    }

    ScriptRun run(List<String> cmd, Path cprof) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
        pb.environment().put("CPROF", cprof.toString());
        pb.environment().remove("CPROF_ZK");
        return ScriptRun.of(pb, 180);
    }

    @Test
    void capturesFourEventsListAndArchive() throws Exception {
        assertTrue(Files.isExecutable(SCRIPT), SCRIPT + " is executable");
        Path cprof = wrapper();
        try (TargetProcess jvm = TargetProcess.jvm(TwoMethods.class)) {
            ScriptRun r = run(List.of(SCRIPT.toString(), Long.toString(jvm.pid()), "3"), cprof);
            assertEquals(0, r.code(), r.out() + r.err());

            // stdout ends with the directory, then the archive
            List<String> lines = r.out().strip().lines().toList();
            assertTrue(lines.size() >= 2, r.out());
            Path dir = Path.of(lines.get(lines.size() - 2));
            Path archive = Path.of(lines.get(lines.size() - 1));
            assertTrue(dir.isAbsolute() && Files.isDirectory(dir), r.out());
            assertEquals(work.toRealPath(), dir.getParent().toRealPath(), r.out());
            assertTrue(dir.getFileName().toString().matches(NAME), dir.toString());
            assertEquals(dir.getFileName() + ".tar.gz", archive.getFileName().toString());
            assertTrue(Files.isRegularFile(archive) && Files.size(archive) > 0, archive.toString());

            String summary = Files.readString(dir.resolve("summary.json"));
            assertTrue(summary.contains("\"pid\":" + jvm.pid()), summary);
            // alloc and lock are asked for; TwoMethods neither allocates nor contends, so only cpu and wall have samples
            assertTrue(summary.contains("\"cpu\":") && summary.contains("\"wall\":"), summary);
            assertTrue(AttachCommandTest.sum(IncidentScriptsTest.collapsed(dir.resolve("profile.cprof")),
                    "TwoMethods.hotA") > 0, "cpu samples of the workload");
            String cpu = Files.readString(dir.resolve("cpu.html"));
            assertTrue(cpu.contains("<html") && cpu.contains("TwoMethods.hotA"), "the cpu flame graph");
            assertTrue(Files.isRegularFile(dir.resolve("wall.html")), r.err());
            String list = Files.readString(dir.resolve("list.json"));
            assertTrue(list.startsWith("[") && list.contains(Long.toString(jvm.pid())), list);
            String info = Files.readString(dir.resolve("info.txt"));
            assertTrue(info.contains("target:   " + jvm.pid()) && info.contains("exit code 0")
                    && info.contains("events:   cpu,wall,alloc,lock"), info);

            // the archive holds the directory under its own name
            ScriptRun tar = run(List.of("tar", "-tzf", archive.toString()), cprof);
            assertEquals(0, tar.code(), tar.err());
            String name = dir.getFileName().toString();
            for (String file : List.of("profile.cprof", "cpu.html", "summary.json", "list.json", "info.txt")) {
                assertTrue(tar.out().lines().anyMatch(l -> l.equals(name + "/" + file)), file + " in " + tar.out());
            }
            assertTrue(jvm.process.isAlive(), "the target survives");
        }
    }
}
