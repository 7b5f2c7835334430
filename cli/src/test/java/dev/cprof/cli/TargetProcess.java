package dev.cprof.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A real JVM (or any command) started for a test, ready once it prints "ready". */
final class TargetProcess implements AutoCloseable {
    final Process process;

    private TargetProcess(Process process) {
        this.process = process;
    }

    static Path testClasses() {
        try {
            return Path.of(TargetProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The test classes, and the jar or directory of {@code main} when it lives elsewhere (testkit). */
    static String classPath(Class<?> main) {
        try {
            Path own = Path.of(main.getProtectionDomain().getCodeSource().getLocation().toURI());
            return own.equals(testClasses()) ? own.toString() : testClasses() + java.io.File.pathSeparator + own;
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static TargetProcess jvm(Class<?> main, String... jvmArgs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx128m", "-XX:+UseSerialGC"));
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", classPath(main), main.getName()));
        return start(cmd);
    }

    static TargetProcess start(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<Boolean> ready = new CompletableFuture<>();
        StringBuilder early = new StringBuilder(); // what it said before "ready", for the failure message
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (!ready.isDone() && early.length() < 4000) {
                        synchronized (early) {
                            early.append(line).append('\n');
                        }
                    }
                    if (line.equals("ready")) {
                        ready.complete(true);
                    }
                }
            } catch (IOException e) {
                // gone
            }
            ready.complete(false);
        });
        pump.setDaemon(true);
        pump.start();
        if (!ready.get(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            synchronized (early) {
                throw new IllegalStateException("target did not start: " + cmd + "; its output: " + early);
            }
        }
        return new TargetProcess(p);
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
