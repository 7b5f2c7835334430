package dev.cprof.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything {@link ThirdPartyBench} runs with: the tools, the run lengths, and the log of the
 * exact command lines of every process it starts (commands.txt).
 */
record BenchSettings(String java, String classpath, String heap, Path out, Path cprofLib, Path apLib, Path cliJar,
                     String wrk, String jattach, int warmup, int measure, int indexDocs, int threads, PrintStream commands) {
    /** The CLI is started like the ./cprof launcher starts it (same JVM options). */
    List<String> cliCommand() {
        return List.of(java, "-XX:+UseSerialGC", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-jar", cliJar.toString());
    }

    void logCommand(String what, List<String> cmd) {
        StringBuilder sb = new StringBuilder(what).append(": ");
        for (String c : cmd) {
            sb.append(c.matches("[A-Za-z0-9_@%+=:,./*-]+") ? c : "'" + c.replace("'", "'\\''") + "'").append(' ');
        }
        commands.println(sb.toString().trim());
    }
}
