package dev.cprof.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What one workload JVM of {@link ThirdPartyBench} measured; one CSV line. */
final class BenchRun {
    int round;
    String workload;
    ProfilerConfig config;
    /** requests/s (http), transactions/s (db), or run time in seconds (index: lower is better). */
    double metric;
    double p99Ms;
    long vmHwmKb;
    double cpuSeconds;
    double wallSeconds;
    /** The profiler's output file: cprof's batch file (the local-socket bytes) or a JFR recording. */
    long dataBytes;
    long dataZstdBytes;
    /** cprof only: the same batches re-framed through one zstd stream, as the TCP hop sends them. */
    long cprofTcpBytes;
    /** cprof only: TCP bytes per minute of the batches after the warmup (no start-up dictionary). */
    double cprofSteadyTcpPerMin;
    long cpuSamples;
    long allocSamples;
    long lockSamples;
    // pair runs (accuracy): cprof through the CLI and async-profiler in the same JVM at once
    double sessionSeconds;
    long apCollapsedBytes;
    long apCollapsedZstdBytes;
    long cliWireBytes;
    double cliCpuSeconds;
    long cliHwmKb;
    long cprofPairSamples;
    long apPairSamples;
    /** Of the self shares, every leaf by name, error leaves one bucket ({@link MethodShares}). */
    double overlap = Double.NaN;
    /** Share of the samples whose stack holds an error frame. */
    double cprofErrorShare = Double.NaN;
    double apErrorShare = Double.NaN;
    double cprofShareA = Double.NaN;
    double apShareA = Double.NaN;
    int exitCode;
    String error = "";

    boolean ok() {
        return error.isEmpty() && exitCode == 0 && (metric > 0 || config.name().equals("pair"));
    }

    /** Bytes per minute of the JVM's life (the profilers ran for all of it). */
    double perMinute(long bytes) {
        return wallSeconds > 0 ? bytes * 60 / wallSeconds : 0;
    }

    private Map<String, Object> columns() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("round", round);
        m.put("workload", workload);
        m.put("config", config.name());
        m.put("intervalMs", config.intervalMs());
        m.put("metric", fmt(metric));
        m.put("p99Ms", fmt(p99Ms));
        m.put("vmHwmKb", vmHwmKb);
        m.put("cpuSeconds", fmt(cpuSeconds));
        m.put("wallSeconds", fmt(wallSeconds));
        m.put("dataBytes", dataBytes);
        m.put("dataZstdBytes", dataZstdBytes);
        m.put("cprofTcpBytes", cprofTcpBytes);
        m.put("cprofSteadyTcpPerMin", fmt(cprofSteadyTcpPerMin));
        m.put("cpuSamples", cpuSamples);
        m.put("allocSamples", allocSamples);
        m.put("lockSamples", lockSamples);
        m.put("sessionSeconds", fmt(sessionSeconds));
        m.put("apCollapsedBytes", apCollapsedBytes);
        m.put("apCollapsedZstdBytes", apCollapsedZstdBytes);
        m.put("cliWireBytes", cliWireBytes);
        m.put("cliCpuSeconds", fmt(cliCpuSeconds));
        m.put("cliHwmKb", cliHwmKb);
        m.put("cprofPairSamples", cprofPairSamples);
        m.put("apPairSamples", apPairSamples);
        m.put("overlap", fmt(overlap));
        m.put("cprofErrorShare", fmt(cprofErrorShare));
        m.put("apErrorShare", fmt(apErrorShare));
        m.put("cprofShareA", fmt(cprofShareA));
        m.put("apShareA", fmt(apShareA));
        m.put("exit", exitCode);
        m.put("error", '"' + error.replace('"', '\'').replace('\n', ' ') + '"');
        return m;
    }

    static String csvHeader() {
        BenchRun r = new BenchRun();
        r.config = ProfilerConfig.of("none");
        r.workload = "";
        return String.join(",", r.columns().keySet());
    }

    String csvLine() {
        List<String> v = new ArrayList<>();
        columns().values().forEach(o -> v.add(String.valueOf(o)));
        return String.join(",", v);
    }

    private static String fmt(double d) {
        return Double.isNaN(d) ? "" : String.format(Locale.ROOT, "%.4f", d);
    }
}
