package dev.cprof.bench;

import dev.cprof.wire.Compression;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts one workload JVM with one profiler configuration, drives it (wrk for the HTTP
 * service; the others load themselves), stops it and collects what it and its profiler produced.
 *
 * <ul>
 *   <li>{@code http}: {@link HttpServiceWorkload}; wrk for WARMUP s (discarded), then MEASURE s:
 *       requests/s and p99; then GET /stop.</li>
 *   <li>{@code db}: {@link DatabaseWorkload} WARMUP MEASURE 4 threads: transactions/s.</li>
 *   <li>{@code index}: {@link IndexingWorkload} DOCS 2 threads: run time.</li>
 *   <li>{@code split}: {@link KnownSplitWorkload} (accuracy only).</li>
 * </ul>
 * In a {@code pair} run the workload lasts WARMUP + MEASURE + a margin, and after WARMUP
 * {@link PairSession} profiles MEASURE s of it with both profilers.
 */
final class WorkloadDriver {
    static final List<String> WORKLOADS = List.of("http", "db", "index", "split");
    /** The bench workloads' "READY ..." line, or the "ready" of the agent tests' workloads and the demo's service. */
    private static final Pattern READY = Pattern.compile("(?m)^(?:READY|ready) ?(.*)$");
    private static final Pattern RESULT = Pattern.compile("RESULT (.*)");
    /**
     * Extra seconds a pair run's workload may last beyond WARMUP + MEASURE (the CLI's own start-up
     * on a loaded machine); the harness ends it earlier, with "stop" on its stdin, once both
     * profilers are done.
     */
    private static final int PAIR_MARGIN = 60;

    private final BenchSettings s;

    WorkloadDriver(BenchSettings s) {
        this.s = s;
    }

    BenchRun run(int round, String workload, ProfilerConfig config) throws Exception {
        BenchRun run = new BenchRun();
        run.round = round;
        run.workload = workload;
        run.config = config;
        Path dir = s.out().resolve("runs");
        Files.createDirectories(dir);
        Path base = dir.resolve(String.format("r%d-%s-%s", round, workload, config.label())).toAbsolutePath();
        Path data = config.dataFile(base);
        if (data != null) {
            Files.deleteIfExists(data);
        }
        boolean pair = config.name().equals("pair");
        List<String> cmd = new ArrayList<>(List.of(s.java(), "-Xms" + s.heap(), "-Xmx" + s.heap(), "-XX:+AlwaysPreTouch"));
        cmd.addAll(config.jvmOptions(s.cprofLib(), s.apLib(), base));
        cmd.addAll(List.of("-cp", s.classpath()));
        int span = s.warmup() + s.measure() + (pair ? PAIR_MARGIN : 0);
        cmd.addAll(mainAndArgs(workload, span, pair));
        Path log = Path.of(base + ".log");
        s.logCommand("workload " + base.getFileName(), cmd);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            String ready = awaitReady(p, log);
            if (workload.equals("http")) {
                String url = "http://127.0.0.1:" + ready.replace("port=", "").trim();
                wrk(url, s.warmup(), Path.of(base + ".wrk-warmup.log"));
                if (pair) {
                    Thread load = new Thread(() -> {
                        try {
                            // Load for the whole session: the CLI's start-up, then MEASURE s.
                            wrk(url, s.measure() + 10, Path.of(base + ".wrk.log"));
                        } catch (Exception e) {
                            run.error = "wrk: " + e.getMessage();
                        }
                    });
                    load.start();
                    PairSession.run(s, p.pid(), base, run);
                    load.join();
                } else {
                    WrkLoad.Result r = wrk(url, s.measure(), Path.of(base + ".wrk.log"));
                    run.metric = r.requestsPerSec();
                    run.p99Ms = r.p99Ms();
                }
                HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/stop")).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.discarding());
            } else if (pair) {
                Thread.sleep(s.warmup() * 1000L);
                try {
                    PairSession.run(s, p.pid(), base, run);
                } finally {
                    sayStop(p);
                }
            }
            if (!p.waitFor(span + 300L, TimeUnit.SECONDS)) {
                run.error = "did not end in time";
            }
        } catch (Exception e) {
            run.error = e.toString();
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor();
            }
        }
        run.wallSeconds = (System.nanoTime() - t0) / 1e9;
        run.exitCode = p.exitValue();
        Map<String, String> result = result(Files.readString(log));
        if (result.isEmpty()) {
            run.error += " no RESULT line (see " + log.getFileName() + ")";
            return run;
        }
        run.vmHwmKb = Long.parseLong(result.get("vmHwmKb"));
        run.cpuSeconds = Double.parseDouble(result.get("cpuSeconds"));
        switch (workload) {
            case "db" -> run.metric = pair ? 0 : Double.parseDouble(result.get("txPerSec"));
            case "index" -> run.metric = pair ? 0 : Double.parseDouble(result.get("runSeconds"));
            default -> { }
        }
        if (data != null) {
            collect(data, run, s.warmup());
        }
        return run;
    }

    /**
     * The main class and arguments of WORKLOAD for a JVM that lasts SPAN s. CONTINUOUS: the job
     * repeats until then, or until the harness says "stop" ({@link #sayStop}); otherwise a batch job
     * (index) runs once, as in the overhead runs.
     */
    List<String> mainAndArgs(String workload, int span, boolean continuous) {
        return switch (workload) {
            case "http" -> List.of(HttpServiceWorkload.class.getName());
            case "db" -> List.of(DatabaseWorkload.class.getName(), "" + s.warmup(), "" + (span - s.warmup()), "4");
            case "index" -> List.of(IndexingWorkload.class.getName(), "" + s.indexDocs(), "" + s.threads(), continuous ? "" + span : "0");
            case "split" -> List.of(KnownSplitWorkload.class.getName(), "" + span, "" + s.threads());
            default -> throw new IllegalArgumentException("unknown workload " + workload);
        };
    }

    /** Ends a workload early: "stop" on its stdin (the bench workloads), then EOF (the demo's checkout service). */
    static void sayStop(Process p) throws IOException {
        try (var in = p.getOutputStream()) {
            in.write("stop\n".getBytes());
            in.flush();
        }
    }

    private WrkLoad.Result wrk(String url, int seconds, Path log) throws IOException, InterruptedException {
        WrkLoad.Result r = WrkLoad.run(s.wrk(), url + "/order", seconds, log);
        s.logCommand("load", r.command());
        return r;
    }

    static String awaitReady(Process p, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            Matcher m = READY.matcher(Files.readString(log));
            if (m.find()) {
                return m.group(1);
            }
            if (!p.isAlive()) {
                throw new IOException("the workload exited before it was ready: " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        throw new IOException("the workload was not ready after 90 s");
    }

    private static Map<String, String> result(String output) {
        Map<String, String> kv = new TreeMap<>();
        Matcher m = RESULT.matcher(output);
        if (m.find()) {
            for (String part : m.group(1).trim().split(" ")) {
                int eq = part.indexOf('=');
                kv.put(part.substring(0, eq), part.substring(eq + 1));
            }
        }
        return kv;
    }

    /** Sizes (raw, zstd) of the profiler's file and its sample counts (decoded as AgentOverhead does). */
    private static void collect(Path data, BenchRun run, int warmup) throws IOException {
        if (!Files.exists(data) || Files.size(data) == 0) {
            run.error += " the profiler wrote nothing to " + data.getFileName();
            return;
        }
        byte[] bytes = Files.readAllBytes(data);
        run.dataBytes = bytes.length;
        run.dataZstdBytes = Compression.compress(bytes).length;
        AgentOverhead.Run decoded = new AgentOverhead.Run();
        if (run.config.cprof()) {
            ProfilerOutput.decodeCprof(data, decoded, warmup);
            run.cprofTcpBytes = decoded.tcpBytes;
            run.cprofSteadyTcpPerMin = decoded.steadyTcpPerMin;
        } else {
            ProfilerOutput.decodeJfr(data, decoded);
        }
        run.cpuSamples = decoded.cpuSamples;
        run.allocSamples = decoded.allocSamples;
        run.lockSamples = decoded.lockSamples;
    }
}
