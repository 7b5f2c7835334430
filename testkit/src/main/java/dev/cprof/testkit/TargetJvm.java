package dev.cprof.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real JVM running {@link Workload}, started with ProcessBuilder; closing it ends the process. */
public final class TargetJvm implements AutoCloseable {
    public final Process process;
    public final long launchedAtMs;
    public final int port;

    private TargetJvm(Process process, long launchedAtMs, int port) {
        this.process = process;
        this.launchedAtMs = launchedAtMs;
        this.port = port;
    }

    public long pid() {
        return process.pid();
    }

    /** Starts {@code java [jvmArgs] dev.cprof.testkit.Workload [args]} and waits for "ready". */
    public static TargetJvm start(List<String> jvmArgs, Map<String, String> env, String... args) throws IOException {
        return start(Path.of(System.getProperty("java.home")), jvmArgs, env, args);
    }

    /** As above with another JDK (the workload is compiled for 17, so any JDK 17+ runs it). */
    public static TargetJvm start(Path javaHome, List<String> jvmArgs, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaHome.resolve("bin").resolve("java").toString());
        cmd.add("-Xmx64m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(testClasses());
        cmd.add(Workload.class.getName());
        cmd.addAll(List.of(args));
        java.io.File err = java.io.File.createTempFile("cprof-target", ".err");
        err.deleteOnExit();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err);
        pb.environment().remove("CPROF_SERVICE");
        pb.environment().putAll(env);
        long t0 = System.currentTimeMillis();
        Process p = pb.start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        if (line == null || !line.startsWith("ready ")) {
            p.destroyForcibly();
            String why = java.nio.file.Files.readString(err.toPath());
            throw new IOException("workload JVM did not start: " + line + " exit=" + (p.isAlive() ? "running" : p.exitValue())
                    + " stderr: " + why.substring(0, Math.min(2000, why.length())));
        }
        return new TargetJvm(p, t0, Integer.parseInt(line.substring(6).trim()));
    }

    public static TargetJvm service(String service) throws IOException {
        return start(List.of("-Dcprof.service=" + service), Map.of());
    }

    private static String testClasses() {
        try {
            return Path.of(Workload.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Ends the JVM (closing stdin lets it exit by itself; destroy if it does not) and returns when it is gone. */
    @Override
    public void close() {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
        }
    }
}
