package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cprof.testkit.TwoMethods;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cprof top against a real JVM: plain tables when not on a terminal, the full screen driven in tmux. */
class TopCommandTest {
    @TempDir
    Path dir;

    @Test
    void plainTablesShowTheHotMethod() throws Exception {
        try (TargetProcess jvm = TargetProcess.jvm(TwoMethods.class)) {
            Cli.Result r = Cli.run("top", "--pid", Long.toString(jvm.pid()), "-d", "6s");
            assertEquals(0, r.code(), r.err());
            String out = r.out();
            assertTrue(out.contains("SELF%  TOTAL%  SAMPLES  METHOD"), out);
            // the last table's first row: the hottest method by self
            String[] tables = out.split("cprof top ");
            String last = tables[tables.length - 1];
            String[] lines = last.split("\n");
            assertTrue(lines[0].contains("1/1 instances"), last);
            String[] top = lines[2].trim().split("\\s+");
            assertTrue(top[3].endsWith("TwoMethods.hotA"), last);
            double self = Double.parseDouble(top[0]);
            assertEquals(75, self, 12, last); // wide: few samples on a loaded machine
            assertTrue(jvm.process.isAlive(), "the target JVM survives");
        }
    }

    @Test
    void fullScreenInTmux() throws Exception {
        if (!onPath("tmux")) {
            if (System.getenv("CI") != null) {
                fail("tmux is needed for the full-screen test of cprof top (apt-get install tmux)");
            }
            Assumptions.assumeTrue(false, "tmux is not installed: skipping the full-screen test of cprof top");
        }
        String session = "cprof-top-test-" + ProcessHandle.current().pid();
        Path classes = Path.of(TopCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (TargetProcess jvm = TargetProcess.jvm(TwoMethods.class)) {
            tmux("new-session", "-d", "-s", session, "-x", "150", "-y", "40", "-c", dir.toString(), "bash --norc --noprofile");
            String cmd = TargetProcess.java() + " -cp " + System.getProperty("java.class.path") + File.pathSeparator + classes
                    + " " + Main.class.getName() + " top --pid " + jvm.pid() + " -e cpu,wall; echo \"EX\"\"IT=$?\"";
            tmux("send-keys", "-t", session, "-l", cmd);
            tmux("send-keys", "-t", session, "Enter");
            String screen = waitFor(session, s -> s.contains("TwoMethods.hotA") && s.contains("q quit"), 40);
            assertTrue(screen.contains("· cpu ·") && screen.contains("instance: all"), screen);

            tmux("send-keys", "-t", session, "e");
            waitFor(session, s -> s.contains("· wall ·"), 10);
            tmux("send-keys", "-t", session, "e");
            waitFor(session, s -> s.contains("· cpu ·"), 10);

            tmux("send-keys", "-t", session, "i");
            screen = waitFor(session, s -> s.contains("instance: ") && !s.contains("instance: all"), 10);
            assertTrue(screen.contains(":" + jvm.pid()), screen);

            tmux("send-keys", "-t", session, "-l", "/hotA");
            tmux("send-keys", "-t", session, "Enter");
            screen = waitFor(session, s -> s.contains("filter: hotA") && !s.contains("TwoMethods.hotB"), 10);
            assertTrue(screen.contains("TwoMethods.hotA"), screen);

            tmux("send-keys", "-t", session, "s");
            screen = waitFor(session, s -> s.contains("saved "), 10);
            Matcher m = Pattern.compile("saved (\\S+\\.cprof)").matcher(screen);
            assertTrue(m.find(), screen);
            Path snapshot = Path.of(m.group(1));
            assertEquals(dir.toRealPath(), snapshot.getParent().toRealPath());
            assertTrue(snapshot.getFileName().toString().matches("cprof-top-\\d{8}-\\d{6}(-\\d+)?\\.cprof"), snapshot.toString());
            Path collapsed = dir.resolve("snapshot.collapsed");
            Cli.Result converted = Cli.run("convert", snapshot.toString(), "-o", collapsed.toString());
            assertEquals(0, converted.code(), converted.err());
            assertTrue(AttachCommandTest.sum(Files.readAllLines(collapsed), "TwoMethods.hotA") > 0);

            tmux("send-keys", "-t", session, "q");
            screen = waitFor(session, s -> s.contains("EXIT="), 20);
            assertTrue(screen.contains("EXIT=0"), screen);
            assertFalse(screen.contains("q quit"), "the alternate screen is left: " + screen);
            assertTrue(jvm.process.isAlive(), "the target JVM survives");
        } finally {
            new ProcessBuilder("tmux", "kill-session", "-t", session).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static boolean onPath(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, command))) {
                return true;
            }
        }
        return false;
    }

    private static String tmux(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tmux"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "tmux " + args[0] + ": " + out);
        return out;
    }

    /** Captures the pane until the text satisfies the condition; fails with the last screen after the timeout. */
    private static String waitFor(String session, Predicate<String> condition, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        String screen = "";
        while (System.nanoTime() < deadline) {
            screen = tmux("capture-pane", "-p", "-t", session);
            if (condition.test(screen)) {
                return screen;
            }
            Thread.sleep(200);
        }
        fail("the screen did not show what was expected within " + seconds + " s:\n" + screen);
        return screen;
    }
}
