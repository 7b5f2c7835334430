package dev.cprof.agent;

import com.sun.tools.attach.VirtualMachine;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real JVM running one workload class of the test classpath, with what the tests read of it
 * from outside: /proc (RSS, threads, file descriptors, POSIX timers, CPU time), its output
 * (the workload's "progress" lines) and its crash log.
 */
final class TargetJvm implements AutoCloseable {
    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private volatile boolean stopped; // by signal("STOP"): close() continues it first

    private TargetJvm(Process process) {
        this.process = process;
    }

    /** Where target JVMs write hs_err_pid<pid>.log if they crash (-XX:ErrorFile). */
    static final Path CRASH_DIR = Path.of("target", "hs_err").toAbsolutePath();

    static Path testClasses() {
        try {
            return Path.of(TargetJvm.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts {@code java [jvmArgs] -cp test-classes mainClass args} and waits for its "ready" line. */
    static TargetJvm start(Path java, List<String> jvmArgs, Class<?> mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.add("-Xmx256m");
        cmd.add("-XX:+UseSerialGC"); // fewer JVM threads on a small machine
        cmd.add("-XX:ErrorFile=" + CRASH_DIR.resolve("hs_err_pid%p.log"));
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(testClasses().toString());
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        TargetJvm jvm = new TargetJvm(p);
        CompletableFuture<Boolean> ready = new CompletableFuture<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    jvm.output.append(line).append('\n');
                    if (line.equals("ready")) {
                        ready.complete(true);
                    }
                }
            } catch (IOException e) {
                // process gone
            }
            ready.complete(false);
        }, "target-output");
        pump.setDaemon(true);
        pump.start();
        try {
            if (!ready.get(60, TimeUnit.SECONDS)) {
                throw new IOException("target JVM did not start: " + jvm.output);
            }
        } catch (Exception e) {
            p.destroyForcibly();
            throw new IOException("target JVM did not get ready: " + jvm.output, e);
        }
        return jvm;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String output() {
        return output.toString();
    }

    /** Waits (at most {@code millis}) until the output contains {@code text}: another thread reads it. */
    boolean awaitOutput(String text, long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000L;
        while (!output().contains(text) && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        return output().contains(text);
    }

    int waitFor(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new IllegalStateException("target JVM did not exit in " + seconds + " s");
        }
        return process.exitValue();
    }

    /** Dynamic attach through the JDK Attach API. */
    void attach(Path library, String options) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(pid()));
        try {
            vm.loadAgentPath(library.toString(), options);
        } finally {
            vm.detach();
        }
    }

    /** The JVM's crash log, if it wrote one (here or, without -XX:ErrorFile's directory, in its working dir). */
    Path crashLog() {
        String name = "hs_err_pid" + pid() + ".log";
        for (Path p : List.of(CRASH_DIR.resolve(name), Path.of(name).toAbsolutePath())) {
            if (Files.exists(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * The workload's last "progress key=value ..." line as a map (see Workload.progress), empty
     * before the first one.
     */
    java.util.Map<String, Long> progress() {
        String[] lines = output.toString().split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            if (lines[i].startsWith("progress ")) {
                java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
                for (String kv : lines[i].substring(9).trim().split(" ")) {
                    int eq = kv.indexOf('=');
                    m.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
                }
                return m;
            }
        }
        return java.util.Map.of();
    }

    /**
     * Waits until the workload has printed {@code seconds} seconds of progress lines (one per
     * 250 ms): warmed up, its hot code compiled. Throws after a minute.
     */
    void awaitProgress(int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (output.toString().lines().filter(l -> l.startsWith("progress ")).count() < seconds * 4L) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                throw new IllegalStateException("no progress from the workload: " + output);
            }
            Thread.sleep(50);
        }
    }

    /** One figure of the last progress line, 0 before the first. */
    long progress(String key) {
        return progress().getOrDefault(key, 0L);
    }

    /** Open file descriptors. */
    int fdCount() throws IOException {
        return countEntries(Path.of("/proc", Long.toString(pid()), "fd"));
    }

    /** OS threads. */
    int threadCount() throws IOException {
        return countEntries(Path.of("/proc", Long.toString(pid()), "task"));
    }

    /** POSIX timers of the process (the agent's per-thread CPU timers are the only ones a JVM has). */
    int posixTimers() throws IOException {
        Path timers = Path.of("/proc", Long.toString(pid()), "timers");
        return (int) Files.readAllLines(timers).stream().filter(l -> l.startsWith("ID:")).count();
    }

    private static int countEntries(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return (int) s.count();
        }
    }

    /** Resident set size in KiB. */
    long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for " + pid());
    }

    /**
     * CPU time (user + system) of the JVM's threads whose kernel name does not start with
     * {@code excludedPrefix}, in nanoseconds, at the kernel's 10 ms (USER_HZ) resolution.
     */
    long cpuNanos(String excludedPrefix) throws IOException {
        long ticks = 0;
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(t.resolve("comm")).startsWith(excludedPrefix)) {
                        continue;
                    }
                    String stat = Files.readString(t.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
                } catch (IOException e) {
                    // thread exited meanwhile
                }
            }
        }
        return ticks * 10_000_000L;
    }

    /** Names of the JVM's threads (the kernel's 15-character names). */
    List<String> threadNames() throws IOException {
        List<String> names = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    names.add(Files.readString(t.resolve("comm")).trim());
                } catch (IOException e) {
                    // thread exited meanwhile
                }
            }
        }
        return names;
    }

    /** Sends {@code signal} (e.g. "STOP", "KILL") to the JVM. */
    void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + signal + " " + pid() + " failed");
        }
        stopped = signal.equals("STOP") || stopped && !signal.equals("CONT");
    }

    @Override
    public void close() {
        if (stopped) {
            try {
                signal("CONT"); // a test that stopped it and then failed: TERM must reach it
            } catch (IOException | InterruptedException e) {
                // gone already
            }
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
