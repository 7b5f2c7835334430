package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.session.ExitCodes;
import dev.cprof.testkit.TwoMethods;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cprof attach --pid against real JVMs, through the real agent and jattach or the Attach API. */
class AttachCommandTest {
    @TempDir
    Path dir;

    /** Sums collapsed values of lines whose stack contains {@code frame}. */
    static long sum(List<String> lines, String frame) {
        long s = 0;
        for (String l : lines) {
            if (frame == null || l.contains(frame)) {
                s += Long.parseLong(l.substring(l.lastIndexOf(' ') + 1));
            }
        }
        return s;
    }

    @Test
    void profilesAKnownCpuSplitAndSummarisesAsJson() throws Exception {
        try (TargetProcess jvm = TargetProcess.jvm(TwoMethods.class)) {
            Path out = dir.resolve("p.collapsed");
            Cli.Result r = Cli.run("attach", "--pid", Long.toString(jvm.pid()), "-d", "5s", "-o", out.toString(), "--json");
            assertEquals(0, r.code(), r.err());
            List<String> lines = Files.readAllLines(out);
            long total = sum(lines, null);
            long a = sum(lines, "TwoMethods.hotA");
            long b = sum(lines, "TwoMethods.hotB");
            assertTrue(total > 50, "samples: " + total);
            double shareA = 100.0 * a / (a + b);
            assertEquals(75, shareA, 5, "hotA share " + shareA + " of " + (a + b));
            String json = r.out().trim();
            assertTrue(json.startsWith("{\"instances\":1,\"samples\":{\"cpu\":"), json);
            assertTrue(json.contains("\"wire_bytes\":"), json);
            assertTrue(json.contains("\"pid\":" + jvm.pid()), json);
            assertTrue(jvm.process.isAlive(), "the target JVM survives");
        }
    }

    @Test
    void unknownPidIsAClearFailure() {
        Cli.Result r = Cli.run("attach", "--pid", "999999999", "-d", "1s", "-o", dir.resolve("x.html").toString());
        assertEquals(ExitCodes.FAILED, r.code());
        assertEquals("cprof: pid 999999999: no such process: 999999999", r.errLines()[0]);
        assertFalse(Files.exists(dir.resolve("x.html")));
    }

    @Test
    void notAJvmAndAttachDisabledAreNamed() throws Exception {
        Process sleep = new ProcessBuilder("sleep", "60").start();
        try (TargetProcess disabled = TargetProcess.jvm(TwoMethods.class, "-XX:+DisableAttachMechanism")) {
            Cli.Result r = Cli.run("attach", "--pid", sleep.pid() + "," + disabled.pid(), "-d", "1s", "-o", dir.resolve("x.html").toString());
            assertEquals(ExitCodes.FAILED, r.code(), r.err());
            assertTrue(r.err().contains("process " + sleep.pid() + " is not a JVM"), r.err());
            assertTrue(r.err().contains("attach is disabled in JVM " + disabled.pid()), r.err());
        } finally {
            sleep.destroyForcibly();
        }
    }

    @Test
    void partialFailureWritesTheRestAndExits3() throws Exception {
        try (TargetProcess jvm = TargetProcess.jvm(TwoMethods.class)) {
            Path out = dir.resolve("p.cprof");
            Cli.Result r = Cli.run("attach", "--pid", jvm.pid() + ",999999999", "-d", "2s", "-o", out.toString(), "--per-instance");
            assertEquals(ExitCodes.PARTIAL, r.code(), r.err());
            assertTrue(Files.size(out) > 0);
            assertTrue(r.err().contains("no such process: 999999999"), r.err());
        }
    }

    @Test
    void interruptedSessionStillWritesItsOutput() throws Exception {
        String jar = System.getProperty("cprof.jar");
        Path classes = Path.of(AttachCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (TargetProcess jvm = TargetProcess.jvm(TwoMethods.class)) {
            Path out = dir.resolve("p.collapsed");
            List<String> cmd = jar != null && Files.exists(Path.of(jar))
                    ? List.of(TargetProcess.java(), "-jar", jar)
                    : List.of(TargetProcess.java(), "-cp", System.getProperty("java.class.path") + ":" + classes, Main.class.getName());
            // As from a terminal: a shell's background job (CI runners, nohup ... &) ignores SIGINT,
            // and a JVM keeps an ignored SIGINT ignored, so reset it to the default for the CLI.
            List<String> full = new java.util.ArrayList<>(List.of("env", "--default-signal=INT"));
            full.addAll(cmd);
            full.addAll(List.of("attach", "--pid", Long.toString(jvm.pid()), "-d", "60s", FleetHarness.FLUSH, "-o", out.toString()));
            Path cliOut = dir.resolve("cli.txt");
            Process cli = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(cliOut.toFile()).start();
            // Ctrl-C once the agent serves the JVM (a loaded machine may take longer than usual to get there)
            Path socket = dev.cprof.agent.AgentClient.socketPath(jvm.pid());
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!Files.exists(socket) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            FleetHarness.awaitTrue(30_000, "the JVM sampling", () -> FleetHarness.samplerThreads(jvm.pid()) > 0);
            Thread.sleep(FleetHarness.BATCHES_MS); // a few batches of samples arrive
            new ProcessBuilder("kill", "-INT", Long.toString(cli.pid())).start().waitFor();
            if (!cli.waitFor(15, TimeUnit.SECONDS)) {
                // Where it hangs, for whoever reads the failure: the CLI's threads and output.
                Process dump = new ProcessBuilder("jcmd", Long.toString(cli.pid()), "Thread.print").redirectErrorStream(true).start();
                String threads = new String(dump.getInputStream().readAllBytes());
                cli.destroyForcibly();
                throw new AssertionError("cprof did not end within 15 s of Ctrl-C; output:\n" + Files.readString(cliOut)
                        + "\nthreads:\n" + threads);
            }
            String text = Files.readString(cliOut);
            assertTrue(Files.exists(out), text);
            assertTrue(sum(Files.readAllLines(out), "TwoMethods") > 0, text);
            assertTrue(text.contains("(interrupted)"), text);
            assertTrue(jvm.process.isAlive());
        }
    }
}
