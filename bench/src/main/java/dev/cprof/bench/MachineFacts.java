package dev.cprof.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/** The facts a result is only valid with: when, how many cores, which kernel and JDK, how loaded. */
record MachineFacts(String utc, int cores, String cpu, String kernel, String jdk, String loadAverage) {
    static MachineFacts now(String java) {
        return new MachineFacts(Instant.now().toString().replaceFirst("\\.\\d+Z$", "Z"), Runtime.getRuntime().availableProcessors(),
                cpuModel(), read("/proc/sys/kernel/osrelease"), jdk(java), read("/proc/loadavg"));
    }

    String oneLine() {
        return String.format("%s, %d cores (%s), kernel %s, %s, load average %s", utc, cores, cpu, kernel, jdk, loadAverage);
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    /** The first line of `java -version` of the JVM the workloads run on. */
    private static String jdk(String java) {
        try {
            Process p = new ProcessBuilder(java, "-version").redirectErrorStream(true).start();
            String first = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("?");
            p.waitFor(30, TimeUnit.SECONDS);
            return first + " (" + System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version") + ")";
        } catch (IOException | InterruptedException e) {
            return System.getProperty("java.vm.version");
        }
    }
}
