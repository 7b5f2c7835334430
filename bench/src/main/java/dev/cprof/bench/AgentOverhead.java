package dev.cprof.bench;

import dev.cprof.agent.AgentLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Overhead and data volume of the cprof agent against async-profiler, in one run: fresh JVMs
 * ({@link AgentWorkload}) for every (round, workload, configuration), configurations alternating
 * within every round, so slow drifts of a shared machine hit all of them alike.
 *
 * <pre>
 * java -cp 'bench/target/classes:bench/target/lib/*' dev.cprof.bench.AgentOverhead \
 *      [--rounds 3] [--warmup 5] [--measure 15] [--threads 2] [--workloads cpu,alloc] \
 *      [--configs none,cprof-cpu,ap-cpu,cprof-all,ap-all] [--out bench/target/agent-bench] \
 *      [--heap 512m] [--cprof-lib libcprof.so (default: AgentLibrary.path(), from the native-agent jar)]
 * </pre>
 *
 * Both profilers start at JVM load ({@code -agentpath}) and write to a file: cprof its framed
 * batches (exactly the bytes it sends on the local socket), async-profiler JFR. Prints a CSV of
 * all runs and a Markdown summary (also written to OUT/runs.csv and OUT/summary.md).
 */
public final class AgentOverhead {
    private static final Pattern RESULT = Pattern.compile("RESULT (.*)");

    record Config(String name, String description) {}

    static final Map<String, Config> CONFIGS = new LinkedHashMap<>();

    static {
        for (Config c : List.of(
                new Config("none", "no profiler (reference)"),
                new Config("cprof-cpu", "cprof start=cpu,interval=10ms"),
                new Config("ap-cpu", "async-profiler event=cpu,interval=10ms (JFR)"),
                new Config("cprof-all", "cprof start=cpu,alloc,lock interval=10ms alloc=512k lock=10ms"),
                new Config("ap-all", "async-profiler event=cpu,interval=10ms,alloc=512k,lock=10ms (JFR)"))) {
            CONFIGS.put(c.name, c);
        }
    }

    /** One JVM run. */
    static final class Run {
        String workload;
        String config;
        int round;
        double opsPerSec;
        long vmHwmKb;
        long vmRssKb;
        double cpuSeconds;
        double windowCpuSeconds;
        long ops;
        double wallSeconds;
        long fileBytes;
        long tcpBytes;          // cprof only: the same batches, re-framed zstd-compressed
        double steadyPerMin;    // cprof only: plain bytes/min of the batches after the warmup
        double steadyTcpPerMin; // cprof only: compressed
        long batches;
        long cpuSamples;
        long allocSamples;
        long lockSamples;
        long dropped;
        String events = "";
        int exitCode;

        /** Operations per CPU-second of the whole process in the measured window. */
        double opsPerCpuSec() {
            return windowCpuSeconds > 0 ? ops / windowCpuSeconds : 0;
        }
    }

    private AgentOverhead() {}

    public static void main(String[] args) throws Exception {
        int rounds = 3;
        int warmup = 5;
        int measure = 15;
        int threads = 2;
        List<String> workloads = List.of("cpu", "alloc");
        List<String> configs = new ArrayList<>(CONFIGS.keySet());
        Path out = Path.of("bench/target/agent-bench");
        String heap = "512m";
        Path cprofLib = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--measure" -> measure = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--workloads" -> workloads = List.of(args[++i].split(","));
                case "--configs" -> configs = List.of(args[++i].split(","));
                case "--out" -> out = Path.of(args[++i]);
                case "--heap" -> heap = args[++i];
                case "--cprof-lib" -> cprofLib = Path.of(args[++i]).toAbsolutePath();
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (!configs.contains("none")) {
            throw new IllegalArgumentException("--configs must contain none (the reference)");
        }
        Files.createDirectories(out);
        if (cprofLib == null) {
            cprofLib = AgentLibrary.path();
        }
        Path apLib = extractAsyncProfiler(out);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = Path.of(AgentWorkload.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        System.out.println("# java " + java + " (" + System.getProperty("java.vm.version") + ")");
        System.out.println("# cprof " + cprofLib + " sha256 " + sha256(cprofLib));
        System.out.println("# async-profiler " + apLib);
        System.out.printf("# rounds=%d warmup=%ds measure=%ds threads=%d heap=%s workloads=%s configs=%s%n",
                rounds, warmup, measure, threads, heap, workloads, configs);
        System.out.println("# load average at start: " + loadAverage());

        List<Run> runs = new ArrayList<>();
        String header = "round,workload,config,opsPerSec,opsPerCpuSec,vmHwmKb,vmRssKb,cpuSeconds,windowCpuSeconds,wallSeconds,fileBytes,tcpBytes,"
                + "steadyPerMin,steadyTcpPerMin,batches,cpuSamples,allocSamples,lockSamples,dropped,exit,events";
        System.out.println(header);
        try (PrintStream csv = new PrintStream(Files.newOutputStream(out.resolve("runs.csv")), true)) {
            csv.println(header);
            for (int r = 1; r <= rounds; r++) {
                for (String w : workloads) {
                    for (String c : configs) {
                        Run run = runOne(java, cp, heap, cprofLib, apLib, out, r, w, c, warmup, measure, threads);
                        runs.add(run);
                        String line = String.format(Locale.ROOT, "%d,%s,%s,%.1f,%.1f,%d,%d,%.2f,%.2f,%.2f,%d,%d,%.0f,%.0f,%d,%d,%d,%d,%d,%d,\"%s\"",
                                run.round, run.workload, run.config, run.opsPerSec, run.opsPerCpuSec(), run.vmHwmKb, run.vmRssKb, run.cpuSeconds, run.windowCpuSeconds,
                                run.wallSeconds, run.fileBytes, run.tcpBytes, run.steadyPerMin, run.steadyTcpPerMin, run.batches,
                                run.cpuSamples, run.allocSamples, run.lockSamples, run.dropped, run.exitCode, run.events);
                        System.out.println(line);
                        csv.println(line);
                    }
                }
            }
        }
        System.out.println("# load average at end: " + loadAverage());
        String summary = summary(runs, workloads, configs);
        System.out.println();
        System.out.println(summary);
        Files.writeString(out.resolve("summary.md"), summary);
    }

    static String sha256(Path file) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    /** The report row naming the cprof agent library by file name and the start of its sha256. */
    static String agentRow(Path lib) {
        String sha;
        try {
            sha = sha256(lib).substring(0, 16) + "…";
        } catch (Exception e) {
            sha = "?";
        }
        return "| cprof agent | `" + lib.getFileName() + "` sha256 `" + sha + "` |";
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    static Path extractAsyncProfiler(Path dir) throws IOException {
        String resource = "/linux-x64/libasyncProfiler.so";
        Path target = dir.resolve("libasyncProfiler.so");
        try (InputStream in = AgentOverhead.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " is not on the classpath (tools.profiler:async-profiler missing?)");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target.toAbsolutePath();
    }

    static Run runOne(String java, String cp, String heap, Path cprofLib, Path apLib, Path out, int round, String workload,
                      String config, int warmup, int measure, int threads) throws Exception {
        Run run = new Run();
        run.workload = workload;
        run.config = config;
        run.round = round;
        String base = String.format("r%d-%s-%s", round, workload, config);
        Path data = out.resolve(base + (config.startsWith("ap-") ? ".jfr" : ".cprof-frames")).toAbsolutePath();
        Files.deleteIfExists(data);
        List<String> cmd = new ArrayList<>(List.of(java, "-Xms" + heap, "-Xmx" + heap, "-XX:+AlwaysPreTouch"));
        switch (config) {
            case "none" -> { }
            case "cprof-cpu" -> cmd.add("-agentpath:" + cprofLib + "=start=cpu,interval=10ms,file=" + data);
            case "cprof-all" -> cmd.add("-agentpath:" + cprofLib + "=start=cpu,alloc,lock,interval=10ms,alloc=512k,lock=10ms,file=" + data);
            case "ap-cpu" -> cmd.add("-agentpath:" + apLib + "=start,event=cpu,interval=10ms,file=" + data);
            case "ap-all" -> cmd.add("-agentpath:" + apLib + "=start,event=cpu,interval=10ms,alloc=512k,lock=10ms,file=" + data);
            default -> throw new IllegalArgumentException("unknown config " + config);
        }
        cmd.addAll(List.of("-cp", cp, AgentWorkload.class.getName(), workload, "" + warmup, "" + measure, "" + threads));
        Path log = out.resolve(base + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(warmup + measure + 120L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
        }
        run.wallSeconds = (System.nanoTime() - t0) / 1e9;
        run.exitCode = p.exitValue();
        String output = Files.readString(log);
        Matcher m = RESULT.matcher(output);
        if (!m.find()) {
            System.err.println("no RESULT line from " + String.join(" ", cmd) + ":\n" + output);
            return run;
        }
        Map<String, String> kv = new TreeMap<>();
        for (String part : m.group(1).trim().split(" ")) {
            int eq = part.indexOf('=');
            kv.put(part.substring(0, eq), part.substring(eq + 1));
        }
        run.opsPerSec = Double.parseDouble(kv.get("opsPerSec"));
        run.vmHwmKb = Long.parseLong(kv.get("vmHwmKb"));
        run.vmRssKb = Long.parseLong(kv.get("vmRssKb"));
        run.cpuSeconds = Double.parseDouble(kv.get("cpuSeconds"));
        run.windowCpuSeconds = Double.parseDouble(kv.get("windowCpuSeconds"));
        run.ops = Long.parseLong(kv.get("ops"));
        if (Files.exists(data)) {
            run.fileBytes = Files.size(data);
            if (config.startsWith("cprof")) {
                ProfilerOutput.decodeCprof(data, run, warmup);
            } else {
                ProfilerOutput.decodeJfr(data, run);
            }
        }
        return run;
    }

    // ---- summary ----

    static String summary(List<Run> runs, List<String> workloads, List<String> configs) {
        StringBuilder sb = new StringBuilder();
        for (String w : workloads) {
            sb.append("### workload `").append(w).append("`\n\n");
            sb.append("| configuration | ops/s (mean) | throughput vs none: mean ± sem (min … max) | ops per CPU-s vs none: mean ± sem (min … max) "
                    + "| added VmHWM MB | file bytes/min | TCP (zstd) bytes/min | steady state: file / TCP bytes/min "
                    + "| cpu samples (per CPU-s) | alloc samples | lock samples | dropped |\n");
            sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            List<Run> ref = select(runs, w, "none");
            double refHwm = mean(ref, r -> r.vmHwmKb);
            for (String c : configs) {
                List<Run> rs = select(runs, w, c);
                if (rs.isEmpty()) {
                    continue;
                }
                boolean profiled = !c.equals("none");
                boolean cprof = c.startsWith("cprof");
                sb.append(String.format(Locale.ROOT, "| %s | %,.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                        c, mean(rs, r -> r.opsPerSec),
                        ratio(rs, ref, r -> r.opsPerSec), ratio(rs, ref, Run::opsPerCpuSec),
                        profiled ? String.format(Locale.ROOT, "%+.1f", (mean(rs, r -> r.vmHwmKb) - refHwm) / 1024) : "—",
                        profiled ? String.format(Locale.ROOT, "%,.0f", mean(rs, r -> r.fileBytes * 60 / r.wallSeconds)) : "—",
                        cprof ? String.format(Locale.ROOT, "%,.0f", mean(rs, r -> r.tcpBytes * 60 / r.wallSeconds)) : "—",
                        cprof ? String.format(Locale.ROOT, "%,.0f / %,.0f", mean(rs, r -> r.steadyPerMin), mean(rs, r -> r.steadyTcpPerMin)) : "—",
                        profiled ? String.format(Locale.ROOT, "%,.0f (%.0f)", mean(rs, r -> r.cpuSamples), mean(rs, r -> r.cpuSamples / r.cpuSeconds)) : "—",
                        profiled ? String.format(Locale.ROOT, "%,.0f", mean(rs, r -> r.allocSamples)) : "—",
                        profiled ? String.format(Locale.ROOT, "%,.0f", mean(rs, r -> r.lockSamples)) : "—",
                        cprof ? String.format(Locale.ROOT, "%,.0f", mean(rs, r -> r.dropped)) : "—"));
            }
            sb.append(String.format(Locale.ROOT, "\nReference (none): VmHWM %.1f MB, process CPU %.1f s per run (%.2f cores in the window), "
                            + "run wall time %.1f s.\n",
                    refHwm / 1024, mean(ref, r -> r.cpuSeconds), mean(ref, r -> r.windowCpuSeconds) / mean(ref, r -> r.ops / r.opsPerSec),
                    mean(ref, r -> r.wallSeconds)));
            for (String[] pair : new String[][] {{"cprof-cpu", "ap-cpu"}, {"cprof-all", "ap-all"}}) {
                List<Run> a = select(runs, w, pair[0]);
                List<Run> b = select(runs, w, pair[1]);
                if (a.isEmpty() || b.isEmpty()) {
                    continue;
                }
                double fa = mean(a, r -> r.fileBytes * 60 / r.wallSeconds);
                double ta = mean(a, r -> r.tcpBytes * 60 / r.wallSeconds);
                double fb = mean(b, r -> r.fileBytes * 60 / r.wallSeconds);
                sb.append(String.format(Locale.ROOT,
                        "%s vs %s: bytes/min: cprof socket = 1/%.1f of the JFR, cprof TCP = 1/%.1f; steady state: socket 1/%.1f, "
                                + "TCP 1/%.1f; cpu samples per CPU-s %.2f×.\n",
                        pair[0], pair[1], fb / fa, fb / ta, fb / mean(a, r -> r.steadyPerMin), fb / mean(a, r -> r.steadyTcpPerMin),
                        mean(a, r -> r.cpuSamples / r.cpuSeconds) / mean(b, r -> r.cpuSamples / r.cpuSeconds)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * Per-round ratio of {@code f} to the reference run of the same round:
     * "mean % ± standard error of the mean (min … max)".
     */
    static String ratio(List<Run> rs, List<Run> ref, ToDoubleFunction<Run> f) {
        List<Double> ratios = new ArrayList<>();
        for (Run r : rs) {
            for (Run x : ref) {
                if (x.round == r.round && f.applyAsDouble(x) > 0) {
                    ratios.add(f.applyAsDouble(r) / f.applyAsDouble(x));
                }
            }
        }
        if (ratios.isEmpty()) {
            return "?";
        }
        double mean = ratios.stream().mapToDouble(d -> d).average().orElse(Double.NaN);
        double min = ratios.stream().mapToDouble(d -> d).min().orElse(Double.NaN);
        double max = ratios.stream().mapToDouble(d -> d).max().orElse(Double.NaN);
        double var = ratios.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum() / Math.max(1, ratios.size() - 1);
        double sem = Math.sqrt(var / ratios.size());
        return String.format(Locale.ROOT, "%.1f %% ± %.1f (%.1f … %.1f)", 100 * mean, 100 * sem, 100 * min, 100 * max);
    }

    static List<Run> select(List<Run> runs, String w, String c) {
        return runs.stream().filter(r -> r.workload.equals(w) && r.config.equals(c) && r.opsPerSec > 0).toList();
    }

    static double mean(List<Run> runs, ToDoubleFunction<Run> f) {
        return runs.stream().mapToDouble(f).average().orElse(Double.NaN);
    }
}
