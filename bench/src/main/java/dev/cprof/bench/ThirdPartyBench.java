package dev.cprof.bench;

import dev.cprof.agent.AgentLibrary;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark against other profilers on third-party workloads (run by scripts/bench.sh):
 * an HTTP service (Jetty + Jackson, loaded by wrk), a database (H2 under JDBC load) and an
 * indexing batch job (Lucene), each in a fresh JVM per (round, workload, configuration), the
 * configurations alternating within every round (their order turning by one each round):
 * none, cprof-cpu, cprof-all, ap-cpu, ap-all, jfr-default, jfr-profile, and pair (cprof and
 * async-profiler on the same run, for accuracy). Every round ends with a pair run of the
 * known-split workload and the interval sweep (cprof-cpu and ap-cpu at other intervals on one
 * workload). Writes OUT/runs.csv as it goes, then OUT/results.md and OUT/overhead-vs-interval.png.
 *
 * <pre>
 * java -cp 'bench/target/classes:bench/target/lib/*' dev.cprof.bench.ThirdPartyBench --out DIR --cli-jar cli/target/cprof.jar \
 *      [--mode quick|full] [--rounds 3] [--warmup 10] [--measure 20] [--index-docs 20000] [--threads 2] [--heap 512m]
 *      [--workloads http,db,index] [--configs none,cprof-cpu,cprof-all,ap-cpu,ap-all,jfr-default,jfr-profile,pair]
 *      [--sweep-intervals 1,5,20] [--sweep-workload index] [--wrk wrk] [--jattach jattach] [--gnuplot gnuplot]
 *      [--cprof-lib libcprof.so] [--command 'the command line to print in the results']
 *      [--classpath 'the workload JVMs' class path, e.g. with a lib/* wildcard (default: this JVM's)']
 * </pre>
 * Exits 1 when any run failed (a workload that did not start or end, a profiler that wrote
 * nothing) or the plot is missing: that is what the CI smoke test checks, never the timings.
 */
public final class ThirdPartyBench {
    private ThirdPartyBench() {}

    public static void main(String[] args) throws Exception {
        String mode = "full";
        int rounds = 3;
        int warmup = 10;
        int measure = 20;
        int indexDocs = 20_000;
        int threads = 2;
        String heap = "512m";
        List<String> workloads = List.of("http", "db", "index");
        List<String> configs = ProfilerConfig.ALL;
        List<Integer> sweep = List.of(1, 5, 20);
        String sweepWorkload = "index";
        Path out = null;
        Path cliJar = null;
        Path cprofLib = null;
        String wrk = "wrk";
        String jattach = "jattach";
        String gnuplot = "gnuplot";
        String command = "";
        String classpath = null; // of the workload JVMs; default: this JVM's (expanded, so long)
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--mode" -> mode = args[++i];
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--measure" -> measure = Integer.parseInt(args[++i]);
                case "--index-docs" -> indexDocs = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--heap" -> heap = args[++i];
                case "--workloads" -> workloads = List.of(args[++i].split(","));
                case "--configs" -> configs = List.of(args[++i].split(","));
                case "--sweep-intervals" -> sweep = args[++i].isEmpty() ? List.of()
                        : Arrays.stream(args[i].split(",")).map(Integer::valueOf).toList();
                case "--sweep-workload" -> sweepWorkload = args[++i];
                case "--out" -> out = Path.of(args[++i]).toAbsolutePath();
                case "--cli-jar" -> cliJar = Path.of(args[++i]).toAbsolutePath();
                case "--cprof-lib" -> cprofLib = Path.of(args[++i]).toAbsolutePath();
                case "--wrk" -> wrk = args[++i];
                case "--jattach" -> jattach = args[++i];
                case "--gnuplot" -> gnuplot = args[++i];
                case "--command" -> command = args[++i];
                case "--classpath" -> classpath = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (out == null || cliJar == null) {
            throw new IllegalArgumentException("--out and --cli-jar are required");
        }
        if (!configs.contains("none")) {
            throw new IllegalArgumentException("--configs must contain none (the reference)");
        }
        configs.forEach(ProfilerConfig::of);
        Files.createDirectories(out);
        if (cprofLib == null) {
            cprofLib = AgentLibrary.path();
        }
        Path apLib = AgentOverhead.extractAsyncProfiler(out);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = classpath != null ? classpath : System.getProperty("java.class.path");
        List<ProfilerConfig> sweepConfigs = new ArrayList<>();
        for (int interval : sweep) {
            sweepConfigs.add(new ProfilerConfig("cprof-cpu", interval));
            sweepConfigs.add(new ProfilerConfig("ap-cpu", interval));
        }
        if (!sweep.isEmpty() && !workloads.contains(sweepWorkload)) {
            throw new IllegalArgumentException("--sweep-workload " + sweepWorkload + " is not among --workloads");
        }

        // Ctrl-C (or CI's timeout) must not leave workload JVMs, wrk or a CLI running.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly)));
        MachineFacts before = MachineFacts.now(java);
        double perRound = runSeconds("split", warmup, measure, indexDocs) + sweepConfigs.size() * runSeconds(sweepWorkload, warmup, measure, indexDocs);
        for (String w : workloads) {
            perRound += configs.size() * runSeconds(w, warmup, measure, indexDocs);
            if (configs.contains("pair")) {
                perRound += runSeconds("split", warmup, measure, indexDocs) - runSeconds(w, warmup, measure, indexDocs);
            }
        }
        double estimate = rounds * perRound;
        System.out.printf(Locale.ROOT, "# %s mode: %d rounds × (%s × %d configurations + split + %d sweep runs); estimated %.0f min on 2 idle cores%n",
                mode, rounds, workloads, configs.size(), sweepConfigs.size(), estimate / 60);
        System.out.println("# " + before.oneLine());
        try (PrintStream commands = new PrintStream(Files.newOutputStream(out.resolve("commands.txt")), true);
             PrintStream csv = new PrintStream(Files.newOutputStream(out.resolve("runs.csv")), true)) {
            commands.println("harness: " + (command.isEmpty() ? "java " + ThirdPartyBench.class.getName() + " " + String.join(" ", args) : command));
            BenchSettings settings = new BenchSettings(java, cp, heap, out, cprofLib, apLib, cliJar, wrk, jattach, warmup, measure,
                    indexDocs, threads, commands);
            WorkloadDriver driver = new WorkloadDriver(settings);
            List<BenchRun> runs = new ArrayList<>();
            csv.println(BenchRun.csvHeader());
            long start = System.nanoTime();
            for (int r = 1; r <= rounds; r++) {
                List<Object[]> plan = new ArrayList<>();
                // The order of the configurations turns by one every round, so none of them always
                // runs first after another workload (or always right after the same neighbour).
                List<String> order = new ArrayList<>(configs);
                Collections.rotate(order, -(r - 1));
                for (String w : workloads) {
                    for (String c : order) {
                        plan.add(new Object[] {w, ProfilerConfig.of(c)});
                    }
                }
                if (configs.contains("pair")) {
                    plan.add(new Object[] {"split", ProfilerConfig.of("pair")});
                }
                for (ProfilerConfig c : sweepConfigs) {
                    plan.add(new Object[] {sweepWorkload, c});
                }
                for (Object[] step : plan) {
                    BenchRun run = driver.run(r, (String) step[0], (ProfilerConfig) step[1]);
                    runs.add(run);
                    csv.println(run.csvLine());
                    System.out.printf(Locale.ROOT, "round %d %-6s %-18s metric %10.1f  p99 %6.1f ms  wall %5.1f s  %s%s%n", r, run.workload,
                            run.config.label(), run.metric, run.p99Ms, run.wallSeconds,
                            run.config.name().equals("pair") ? String.format(Locale.ROOT, "overlap %.3f  ", run.overlap) : "",
                            run.ok() ? "ok" : "FAILED: " + run.error + " exit " + run.exitCode);
                }
            }
            MachineFacts after = MachineFacts.now(java);
            double minutes = (System.nanoTime() - start) / 60e9;
            System.out.printf(Locale.ROOT, "# runs took %.1f min; %s%n", minutes, after.oneLine());
            Path png = OverheadPlot.write(gnuplot, out, runs, sweepWorkload, sweep);
            settings.logCommand("plot", List.of(gnuplot, out.resolve("overhead.gp").toString()));
            String report = new ThirdPartyReport(runs, workloads, mode, before, after, minutes, settings,
                    commandsSummary(command, args), png).markdown();
            Files.writeString(out.resolve("results.md"), report);
            System.out.println("# wrote " + out.resolve("results.md") + ", " + out.resolve("runs.csv") + ", " + png);
            long failed = runs.stream().filter(x -> !x.ok()).count();
            if (failed > 0 || png == null || !Files.exists(png)) {
                System.err.println("bench: " + failed + " run(s) failed" + (png == null ? ", and no plot was made" : ""));
                System.exit(1);
            }
        }
    }

    private static String commandsSummary(String command, String[] args) {
        return command.isEmpty() ? "java " + ThirdPartyBench.class.getName() + " " + String.join(" ", args) : command;
    }

    /** A rough wall time of one run on 2 idle cores, for the estimate printed at start. */
    static double runSeconds(String workload, int warmup, int measure, int indexDocs) {
        return switch (workload) {
            case "index" -> 2 + indexDocs * 0.0006;
            case "split" -> 4 + warmup + measure + 8;
            default -> 3 + warmup + measure;
        };
    }
}
