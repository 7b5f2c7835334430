package dev.cprof.bench;

import java.nio.file.Path;
import java.util.List;

/**
 * One profiler configuration of {@link ThirdPartyBench} and the JVM options that start it with
 * the workload JVM (so every profiler covers the JVM's whole life, as in {@link AgentOverhead}).
 * {@code pair} is not an overhead configuration: it profiles one run with cprof (through the
 * CLI) and async-profiler at once, for the accuracy comparison ({@link PairSession}).
 */
record ProfilerConfig(String name, int intervalMs) {
    static final List<String> ALL = List.of("none", "cprof-cpu", "cprof-all", "cprof-jdbc", "cprof-cpu-jdbc", "ap-cpu", "ap-all",
            "jfr-default", "jfr-profile", "pair");

    static ProfilerConfig of(String name) {
        if (!ALL.contains(name)) {
            throw new IllegalArgumentException("unknown configuration " + name + " (expected one of " + ALL + ")");
        }
        return new ProfilerConfig(name, 10);
    }

    /** The name in tables and file names: "cprof-cpu", or "cprof-cpu@1ms" in the interval sweep. */
    String label() {
        return intervalMs == 10 || !name.endsWith("-cpu") ? name : name + "@" + intervalMs + "ms";
    }

    boolean cprof() {
        return name.startsWith("cprof");
    }

    boolean jfrFile() {
        return name.startsWith("ap-") || name.startsWith("jfr-");
    }

    /** The profiler's output file for a run whose files start with BASE (null: none). */
    Path dataFile(Path base) {
        if (cprof()) {
            return Path.of(base + ".cprof-frames");
        }
        return jfrFile() ? Path.of(base + ".jfr") : null;
    }

    List<String> jvmOptions(Path cprofLib, Path apLib, Path base) {
        Path data = dataFile(base);
        String interval = "interval=" + intervalMs + "ms";
        return switch (name) {
            case "none", "pair" -> List.of();
            case "cprof-cpu" -> List.of("-agentpath:" + cprofLib + "=start=cpu," + interval + ",file=" + data);
            case "cprof-all" -> List.of("-agentpath:" + cprofLib + "=start=cpu,alloc,lock," + interval + ",alloc=512k,lock=10ms,file=" + data);
            // the jdbc hooks at the default threshold (1 ms); the library's .jar beside it (AgentLibrary.path())
            case "cprof-jdbc" -> List.of("-agentpath:" + cprofLib + "=start=jdbc,file=" + data);
            case "cprof-cpu-jdbc" -> List.of("-agentpath:" + cprofLib + "=start=cpu,jdbc," + interval + ",file=" + data);
            case "ap-cpu" -> List.of("-agentpath:" + apLib + "=start,event=cpu," + interval + ",file=" + data);
            case "ap-all" -> List.of("-agentpath:" + apLib + "=start,event=cpu," + interval + ",alloc=512k,lock=10ms,file=" + data);
            case "jfr-default" -> List.of("-XX:StartFlightRecording=settings=default,dumponexit=true,filename=" + data);
            case "jfr-profile" -> List.of("-XX:StartFlightRecording=settings=profile,dumponexit=true,filename=" + data);
            default -> throw new IllegalStateException(name);
        };
    }
}
