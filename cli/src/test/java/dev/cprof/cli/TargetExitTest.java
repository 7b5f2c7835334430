package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.session.ExitCodes;
import dev.cprof.testkit.TwoMethods;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cprof attach --pid} when a target JVM exits during the attach or during the session:
 * one clear line about it, the profile of what was collected written, exit 3 (partial), and
 * no waiting for a JVM that is gone. Each test prints a "RELIABILITY:" line of figures.
 */
class TargetExitTest {
    @TempDir
    Path dir;

    @Test
    void jvmExitingMidSessionIsOneLineAndKeepsItsSamples() throws Exception {
        try (TargetProcess a = TargetProcess.jvm(TwoMethods.class); TargetProcess b = TargetProcess.jvm(TwoMethods.class)) {
            Path out = dir.resolve("p.collapsed");
            // SIGTERM: the JVM shuts down, the agent sends its final batch on VMDeath
            CompletableFuture<Void> exit = CompletableFuture.runAsync(() -> afterBatches(b.pid(), b.process::destroy));
            Cli.Result r = Cli.run("attach", "--pid", a.pid() + "," + b.pid(), "-d", "5s", FleetHarness.FLUSH, "-o", out.toString(),
                    "--per-instance");
            exit.get(30, TimeUnit.SECONDS);
            List<String> lines = Files.readAllLines(out);
            long samplesA = AttachCommandTest.sum(lines, ":" + a.pid());
            long samplesB = AttachCommandTest.sum(lines, ":" + b.pid());
            List<String> aboutB = linesAbout(r, b.pid());
            System.out.printf("RELIABILITY: scenario=cli_exit_during_session signal=TERM exit=%d samples_other_jvm=%d samples_exited_jvm=%d"
                    + " line=\"%s\"%n", r.code(), samplesA, samplesB, String.join(" | ", aboutB));
            assertEquals(ExitCodes.PARTIAL, r.code(), r.err());
            assertEquals(List.of(), linesAbout(r, a.pid()), "nothing to say about the JVM that kept running");
            assertEquals(1, aboutB.size(), r.err());
            assertTrue(aboutB.get(0).matches("cprof: \\S+:" + b.pid() + " ?.*: ended mid-session \\(JVM exited\\); its samples until then are kept"),
                    aboutB.get(0));
            assertTrue(samplesA > 0 && samplesB > 0, "both JVMs' samples written: " + samplesA + ", " + samplesB);
            assertTrue(a.process.isAlive());
        }
    }

    @Test
    void theOnlyJvmKilledMidSessionEndsTheSessionAtOnce() throws Exception {
        try (TargetProcess jvm = TargetProcess.jvm(TwoMethods.class)) {
            Path out = dir.resolve("p.collapsed");
            CompletableFuture<Void> kill = CompletableFuture.runAsync(() -> afterBatches(jvm.pid(), jvm.process::destroyForcibly));
            long start = System.nanoTime();
            Cli.Result r = Cli.run("attach", "--pid", Long.toString(jvm.pid()), "-d", "120s", FleetHarness.FLUSH, "-o", out.toString());
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            kill.get(30, TimeUnit.SECONDS);
            long samples = AttachCommandTest.sum(Files.readAllLines(out), null);
            System.out.printf("RELIABILITY: scenario=cli_exit_during_session signal=KILL exit=%d samples_kept=%d cli_seconds=%d of -d 120s%n",
                    r.code(), samples, seconds);
            assertEquals(ExitCodes.PARTIAL, r.code(), r.err());
            assertEquals(1, linesAbout(r, jvm.pid()).size(), r.err());
            assertTrue(samples > 0, "the samples until the kill are written");
            assertTrue(seconds < 60, "the session ended when its only JVM did, not after -d 120s: " + seconds + " s");
        }
    }

    @Test
    void jvmExitingDuringAttachIsOneLineAndTheRestIsWritten() throws Exception {
        try (TargetProcess a = TargetProcess.jvm(TwoMethods.class); TargetProcess b = TargetProcess.jvm(TwoMethods.class)) {
            signal("STOP", b.pid()); // cannot answer the attach request: the attach waits
            Path out = dir.resolve("p.collapsed");
            CompletableFuture<Void> kill = CompletableFuture.runAsync(() -> after(1_500, b.process::destroyForcibly));
            Cli.Result r = Cli.run("attach", "--pid", a.pid() + "," + b.pid(), "-d", "5s", "-o", out.toString());
            kill.get(10, TimeUnit.SECONDS);
            List<String> aboutB = linesAbout(r, b.pid());
            long samples = AttachCommandTest.sum(Files.readAllLines(out), null);
            System.out.printf("RELIABILITY: scenario=cli_exit_during_attach exit=%d samples_other_jvm=%d line=\"%s\"%n",
                    r.code(), samples, String.join(" | ", aboutB));
            assertEquals(ExitCodes.PARTIAL, r.code(), r.err());
            assertEquals(List.of("cprof: pid " + b.pid() + ": JVM " + b.pid() + " exited during attach"), aboutB, r.err());
            assertTrue(samples > 0, "the other JVM's profile is written");
            assertFalse(Files.exists(Path.of("").toAbsolutePath().resolve(".attach_pid" + b.pid())), "no attach file left behind");
        }
    }

    /**
     * A target whose agent was loaded at start with a 2-record ring (load option ring=2; the
     * CLI's attach reuses that agent) sampled every 1 ms: the lost samples are counted in the
     * summary line and in --json, the profile is written, the target keeps running.
     */
    @Test
    void droppedSamplesAreInTheSummary() throws Exception {
        String agent = "-agentpath:" + dev.cprof.agent.AgentLibrary.path() + "=ring=2";
        try (TargetProcess jvm = TargetProcess.jvm(TwoMethods.class, agent)) {
            Path out = dir.resolve("p.collapsed");
            Cli.Result r = Cli.run("attach", "--pid", Long.toString(jvm.pid()), "-i", "1ms", "-d", "3s", "-o", out.toString());
            Cli.Result json = Cli.run("attach", "--pid", Long.toString(jvm.pid()), "-i", "1ms", "-d", "3s", "-o", out.toString(), "--json");
            String summary = r.errLines()[r.errLines().length - 1];
            // lost (buffer full here) and unwalked are told apart; only the lost ones are missing from the profile
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b([\\d,]+) samples lost \\(buffer full [\\d,]+, other [\\d,]+\\)").matcher(summary);
            java.util.regex.Matcher mj = java.util.regex.Pattern.compile("\"lost\":(\\d+)").matcher(json.out());
            long samples = AttachCommandTest.sum(Files.readAllLines(out), null);
            System.out.printf("RELIABILITY: scenario=cli_buffer_full ring_records=2 interval=1ms exit=%d samples_written=%d summary=\"%s\" json_dropped=%s%n",
                    r.code(), samples, summary, mj.find() ? mj.group(1) : "none");
            assertEquals(ExitCodes.OK, r.code(), r.err());
            assertEquals(ExitCodes.OK, json.code(), json.err());
            assertTrue(m.find() && Long.parseLong(m.group(1).replace(",", "")) > 0, summary);
            assertTrue(json.out().contains("\"lost_buffer_full\":") && json.out().contains("\"unwalked\":"), json.out());
            assertTrue(mj.find(0) && Long.parseLong(mj.group(1)) > 0, json.out());
            assertTrue(samples > 0);
            assertTrue(jvm.process.isAlive());
        }
    }

    /** stderr lines naming the pid. */
    private static List<String> linesAbout(Cli.Result r, long pid) {
        return Arrays.stream(r.errLines()).filter(l -> l.matches(".*\\b" + pid + "\\b.*")).toList();
    }

    /** Runs {@code r} once the agent samples {@code pid} and a few batches have left it (not after a fixed time). */
    private static void afterBatches(long pid, Runnable r) {
        long deadline = System.currentTimeMillis() + 30_000;
        while (FleetHarness.samplerThreads(pid) == 0 && System.currentTimeMillis() < deadline) {
            after(20, () -> { });
        }
        after(FleetHarness.BATCHES_MS, r);
    }

    private static void after(long ms, Runnable r) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        r.run();
    }

    private static void signal(String signal, long pid) throws Exception {
        assertTrue(new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor(10, TimeUnit.SECONDS));
    }
}
