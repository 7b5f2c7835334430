package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cprof.cli.workload.PythonParent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * attach --pid --python against a real JVM that runs real CPython children (split.py: hot_a 75 %,
 * hot_b 25 % of its CPU), in process: the JVM's frames and the children's in one profile.
 */
class PythonAttachTest {
    @TempDir
    Path dir;

    /** split.py of the test resources, in the temp dir (its file name shows in the frames). */
    Path splitScript() throws IOException {
        Path script = dir.resolve("split.py");
        try (InputStream in = PythonAttachTest.class.getResourceAsStream("/python/split.py")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        return script;
    }

    /** A JVM running PythonParent with {@code count} children of {@code python split.py seconds}. */
    TargetProcess parent(int count, String python, double seconds, String... jvmArgs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(TargetProcess.java(), "-Xmx64m", "-XX:+UseSerialGC"));
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", TargetProcess.testClasses().toString(), PythonParent.class.getName(),
                Integer.toString(count), python, splitScript().toString(), Double.toString(seconds)));
        return TargetProcess.start(cmd);
    }

    /** Kills the JVM's Python children first (SIGKILL skips the JVM's shutdown hook), then the JVM. */
    static void killTree(TargetProcess jvm) throws InterruptedException {
        jvm.process.descendants().forEach(ProcessHandle::destroyForcibly);
        jvm.close();
    }

    static List<Long> children(TargetProcess jvm) {
        return jvm.process.children().map(ProcessHandle::pid).toList();
    }

    @Test
    void pythonChildSharesAndJvmFramesInOneProfileUnderTheJvmInstance() throws Exception {
        TargetProcess jvm = parent(1, "python3", 60);
        try {
            long py = children(jvm).get(0);
            Path out = dir.resolve("p.collapsed");
            Cli.Result r = Cli.run("attach", "--pid", Long.toString(jvm.pid()), "--python", "--per-instance",
                    "-d", "6s", "-o", out.toString());
            assertEquals(0, r.code(), r.err());
            List<String> lines = Files.readAllLines(out);
            String jvmRoot = lines.stream().filter(l -> l.contains("PythonParent.jvmSide")).findFirst()
                    .map(l -> l.substring(0, l.indexOf(';'))).orElseThrow(() -> new AssertionError("no JVM frames: " + lines));
            assertTrue(jvmRoot.contains(":" + jvm.pid()), jvmRoot);
            long a = AttachCommandTest.sum(lines, ".hot_a ");
            long b = AttachCommandTest.sum(lines, ".hot_b ");
            double share = 100.0 * a / (a + b);
            System.out.printf("python under JVM: hot_a %.1f %% of %d python samples; JVM jvmSide %d%n", share, a + b,
                    AttachCommandTest.sum(lines, "PythonParent.jvmSide"));
            assertTrue(a + b >= 250, "python samples: " + (a + b));
            assertEquals(75.0, share, 5.0, "hot_a share");
            for (String l : lines) {
                if (l.contains(".hot_a ") || l.contains(".hot_b ")) {
                    assertTrue(l.startsWith(jvmRoot + ";[python pid " + py + "];"), l);
                }
            }
        } finally {
            killTree(jvm);
        }
    }

    @Test
    void aChildExitingMidSessionKeepsItsSamplesAndSaysSo() throws Exception {
        TargetProcess jvm = parent(1, "python3", 3.0);
        try {
            long py = children(jvm).get(0);
            Path out = dir.resolve("p.collapsed");
            Cli.Result r = Cli.run("attach", "--pid", Long.toString(jvm.pid()), "--python", "-d", "5s", "-o", out.toString());
            assertEquals(0, r.code(), r.err());
            List<String> lines = Files.readAllLines(out);
            assertTrue(AttachCommandTest.sum(lines, "[python pid " + py + "];") > 30, "python samples kept: " + lines);
            assertTrue(AttachCommandTest.sum(lines, "PythonParent.jvmSide") > 0, "JVM frames");
            assertTrue(r.err().contains("python pid " + py + " (under JVM pid " + jvm.pid() + ") ended mid-session (exited)"),
                    r.err());
        } finally {
            killTree(jvm);
        }
    }

    @Test
    void anUnsupportedPythonIsOneWarningAndTheJvmProfileGoesOn() throws Exception {
        Optional<String> py310 = pyenv("3.10");
        assumeTrue(py310.isPresent(), "ASSUMPTION: no python 3.10 under ~/.pyenv/versions; unsupported-version case skipped");
        TargetProcess jvm = parent(2, py310.get(), 60);
        try {
            Path out = dir.resolve("p.collapsed");
            Cli.Result r = Cli.run("attach", "--pid", Long.toString(jvm.pid()), "--python", "-d", "2s", "-o", out.toString());
            assertEquals(0, r.code(), r.err());
            long warnings = Arrays.stream(r.errLines()).filter(l -> l.contains("not sampled: python 3.10 is not supported")).count();
            assertEquals(1, warnings, "one warning for two 3.10 children: " + r.err());
            List<String> lines = Files.readAllLines(out);
            assertTrue(AttachCommandTest.sum(lines, "PythonParent.jvmSide") > 0, "the JVM profile goes on");
            assertEquals(0, AttachCommandTest.sum(lines, "[python pid "), "no python stacks");
        } finally {
            killTree(jvm);
        }
    }

    static Optional<String> pyenv(String minor) throws IOException {
        Path versions = Path.of(System.getProperty("user.home"), ".pyenv", "versions");
        if (!Files.isDirectory(versions)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(versions)) {
            return s.filter(p -> p.getFileName().toString().startsWith(minor + "."))
                    .map(p -> p.resolve("bin/python" + minor)).filter(Files::isExecutable).map(Path::toString).findFirst();
        }
    }
}
