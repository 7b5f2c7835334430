package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cprof.agent.Attacher;
import dev.cprof.discovery.registry.FleetView;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.testkit.AgentThreads;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Shared parts of the fleet fault and topology tests: cprof (peer or attach) as a real process,
 * shell commands, the agent's sampler threads as seen from /proc, and the skip-or-fail rule for
 * tests that need root (CI runs as root: there a missing part is a failure, not a skip).
 */
final class FleetHarness {
    private FleetHarness() {}

    /**
     * The agent's batch period in these tests, 5 times the product's 1 s (the hidden
     * {@code --flush-interval}): a test that needs "a few batches" before a fault waits {@link #BATCHES_MS}.
     */
    static final long FLUSH_MS = 200;
    static final String FLUSH = "--flush-interval=" + FLUSH_MS + "ms";
    /** Five batches' time: what the old "a few 1 s batches" waits (2-2.5 s) meant, with margin for a loaded machine. */
    static final long BATCHES_MS = 5 * FLUSH_MS;

    /** Skips (or, with CI set, fails) unless the agent, jattach and {@code tools} are here and we are root when {@code root}. */
    static void require(String what, boolean root, String... tools) {
        List<String> missing = new ArrayList<>();
        if (FleetHarness.class.getResource(dev.cprof.agent.AgentLibrary.RESOURCE) == null) {
            missing.add("libcprof.so in the native-agent jar");
        }
        if (Attacher.findJattach() == null) {
            missing.add("jattach");
        }
        if (root && !"0".equals(sh("id", "-u").strip())) {
            missing.add("root");
        }
        for (String t : tools) {
            if (!onPath(t)) {
                missing.add(t);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String msg = what + " needs " + String.join(", ", missing);
        String ci = System.getenv("CI");
        if (ci != null && !ci.isEmpty() && !ci.equals("false")) {
            fail(msg + " (CI is set: this must run here)");
        }
        assumeTrue(false, "ASSUMPTION: " + msg + "; skipped");
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir.isEmpty() ? "." : dir, tool))) {
                return true;
            }
        }
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Runs a command, returns its output (stdout and stderr); never throws on a non-zero exit. */
    static String sh(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            p.waitFor(30, TimeUnit.SECONDS);
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "cannot run " + cmd[0] + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Runs a command and fails the test with its output when it exits non-zero. */
    static void must(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail(String.join(" ", cmd) + " failed: " + new String(out, StandardCharsets.UTF_8));
        }
    }

    /** This build's classes and dependencies, for java -cp: cprof's Main and the test workloads. */
    static String classpath() {
        return System.getProperty("java.class.path") + File.pathSeparator + Checkouts.mainClasses()
                + File.pathSeparator + TargetProcess.testClasses();
    }

    /** {@code [prefix…] java … dev.cprof.cli.Main args}: cprof as a process, its output to {@code log}. */
    static Process cprof(List<String> prefix, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(TargetProcess.java(), "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", classpath(), Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Waits until {@code log} contains {@code needle}; fails with the log when {@code p} dies or time runs out. */
    static void awaitLog(Process p, Path log, String needle, long ms) throws Exception {
        long deadline = System.currentTimeMillis() + ms;
        while (true) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            if (text.contains(needle)) {
                return;
            }
            if (!p.isAlive() || System.currentTimeMillis() > deadline) {
                fail("'" + needle + "' not seen (" + (p.isAlive() ? "timeout" : "exit " + p.exitValue()) + "): " + text);
            }
            Thread.sleep(50);
        }
    }

    static void kill9(Process p) throws Exception {
        must("kill", "-KILL", Long.toString(p.pid()));
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** How many threads of {@code pid} are the agent's sampler (alive only while it profiles). */
    static int samplerThreads(long pid) {
        return AgentThreads.samplers(pid);
    }

    /** The first child of {@code pid} (unshare --fork's child, for example), or -1. */
    static long childOf(long pid) {
        try {
            String children = Files.readString(Path.of("/proc", Long.toString(pid), "task", Long.toString(pid), "children")).strip();
            return children.isEmpty() ? -1 : Long.parseLong(children.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Lines of a collapsed-stacks file by their first frame (the instance, with --per-instance) → total count. */
    static Map<String, Long> samplesByRoot(Path collapsed) throws IOException {
        Map<String, Long> out = new HashMap<>();
        for (String line : Files.readAllLines(collapsed)) {
            int semi = line.indexOf(';');
            int space = line.lastIndexOf(' ');
            if (semi > 0 && space > semi) {
                out.merge(line.substring(0, semi), Long.parseLong(line.substring(space + 1)), Long::sum);
            }
        }
        return out;
    }

    /** ZooKeeper's four-letter {@code srvr}: true when the server at {@code port} is the ensemble's leader. */
    static boolean isLeader(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(2000);
            OutputStream o = s.getOutputStream();
            o.write("srvr".getBytes(StandardCharsets.US_ASCII));
            o.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).contains("Mode: leader");
        } catch (IOException e) {
            return false;
        }
    }

    /** The instances of {@code service} registered now (none while ZooKeeper does not answer). */
    static List<InstanceRecord> instances(FleetView fleet, String service) {
        try {
            return fleet.instances(service);
        } catch (Exception e) {
            return List.of();
        }
    }

    static void awaitTrue(long ms, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + ms;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail(what + ": not within " + ms + " ms");
            }
            Thread.sleep(50);
        }
    }
}
