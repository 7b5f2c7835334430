package dev.cprof.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * results.md of {@link ThirdPartyBench}: the goals, each met or missed by how much (computed
 * here from the runs), then overhead, bytes per instance-minute, accuracy, memory and the
 * collecting side, the interval sweep, the machine and the commands. It is one Markdown section
 * ("## Third-party workloads"), so scripts/bench.sh --publish can put it into bench/RESULTS.md.
 */
final class ThirdPartyReport {
    static final String HEADING = "## Third-party workloads";
    private static final List<String> OVERHEAD_CONFIGS = List.of("none", "cprof-cpu", "cprof-all", "cprof-jdbc", "cprof-cpu-jdbc", "ap-cpu",
            "ap-all", "jfr-default", "jfr-profile");

    private final List<BenchRun> runs;
    private final List<String> workloads;
    private final String mode;
    private final MachineFacts before;
    private final MachineFacts after;
    private final double minutes;
    private final BenchSettings settings;
    private final String command;
    private final Path png;
    private final StringBuilder sb = new StringBuilder();

    ThirdPartyReport(List<BenchRun> runs, List<String> workloads, String mode, MachineFacts before, MachineFacts after, double minutes,
                     BenchSettings settings, String command, Path png) {
        this.runs = runs;
        this.workloads = workloads;
        this.mode = mode;
        this.before = before;
        this.after = after;
        this.minutes = minutes;
        this.settings = settings;
        this.command = command;
        this.png = png;
    }

    String markdown() {
        int rounds = runs.stream().mapToInt(r -> r.round).max().orElse(0);
        line(HEADING);
        line("");
        line(String.format(Locale.ROOT, "Issue \"Benchmarks against other profilers on real third-party workloads\". Run %s → %s (%.1f min of runs), "
                + "**%s mode**, %d round(s), %d s warmup and %d s measured per run; %d failed run(s).", before.utc(), after.utc(), minutes,
                mode, rounds, settings.warmup(), settings.measure(), runs.stream().filter(r -> !r.ok()).count()));
        if (mode.equals("quick")) {
            line("");
            line("**A quick run** (the CI smoke test's sizes): one short round, so the numbers show that the harness works, not how the"
                    + " profilers compare (load average at the start: " + before.loadAverage() + ", on " + before.cores()
                    + " cores). Take the figures of a full run on a quiet machine (`scripts/bench.sh --publish`).");
        }
        line("");
        line("Workloads (fresh JVM per run, `-Xms" + settings.heap() + " -Xmx" + settings.heap() + " -XX:+AlwaysPreTouch`): "
                + "`http` = Jetty 12.1.14 + Jackson 2.13.5 order service on loopback, loaded by `wrk -t2 -c16` (requests/s, p99); "
                + "`db` = H2 2.3.232 embedded, 4 JDBC threads, 70 % reads / 30 % transfers (transactions/s); "
                + "`index` = Lucene 9.12.3 indexing " + settings.indexDocs() + " generated documents with " + settings.threads()
                + " threads, 300 queries and a sort of the word counts (run time). Overhead = slowdown against the no-profiler run of the same round.");
        line("");
        machine();
        goals();
        overhead();
        bytes();
        accuracy();
        memory();
        sweep();
        configurations();
        return sb.toString();
    }

    private void line(String s) {
        sb.append(s).append('\n');
    }

    private void machine() {
        line("### Machine");
        line("");
        line("| | |");
        line("|---|---|");
        line("| cores | " + before.cores() + " (`" + before.cpu() + "`) |");
        line("| kernel | " + before.kernel() + " |");
        line("| JDK | " + before.jdk() + " |");
        line("| load average | before: " + before.loadAverage() + "; after: " + after.loadAverage() + " |");
        line("| date | " + before.utc() + " to " + after.utc() + " |");
        line(AgentOverhead.agentRow(settings.cprofLib()));
        line("| async-profiler | 4.6 (`tools.profiler:async-profiler`, its bundled linux-x64 library) |");
        line("");
    }

    // ---- goals ----

    private void goals() {
        line("### Goals");
        line("");
        line("| goal | workload | measured (median over rounds) | verdict |");
        line("|---|---|---|---|");
        for (String w : workloads) {
            double cprofCpu = Overheads.median(Overheads.metric(runs, w, "cprof-cpu"));
            double apCpu = Overheads.median(Overheads.metric(runs, w, "ap-cpu"));
            double cprofAll = Overheads.median(Overheads.metric(runs, w, "cprof-all"));
            String noise = noise(w);
            goal("overhead at 100 Hz cpu ≤ async-profiler's", w, String.format(Locale.ROOT, "cprof %.2f %% vs async-profiler %.2f %%", cprofCpu, apCpu),
                    cprofCpu, apCpu, " pp", noise);
            goal("overhead at 100 Hz cpu ≤ 1 %", w, String.format(Locale.ROOT, "%.2f %%", cprofCpu), cprofCpu, 1, " pp", noise);
            goal("overhead cpu+alloc+lock ≤ 2 %", w, String.format(Locale.ROOT, "%.2f %%", cprofAll), cprofAll, 2, " pp", noise);
        }
        for (String w : workloads) {
            for (String[] pair : new String[][] {{"cprof-cpu", "ap-cpu"}, {"cprof-all", "ap-all"}}) {
                double cprof = Overheads.median(Overheads.of(Overheads.select(runs, w, pair[0]), r -> r.perMinute(r.cprofTcpBytes)));
                double jfr = Overheads.median(Overheads.of(Overheads.select(runs, w, pair[1]), r -> r.perMinute(r.dataBytes)));
                double factor = jfr / cprof;
                double steady = Overheads.median(Overheads.of(Overheads.select(runs, w, pair[0]), r -> r.cprofSteadyTcpPerMin));
                String verdict = Double.isNaN(factor) ? "not measured" : factor >= 20 ? "met"
                        : String.format(Locale.ROOT, "**missed**: 1/%.1f instead of 1/20 (%.1f× too many bytes)%s", factor, 20 / factor,
                                steady > 0 ? String.format(Locale.ROOT, "; after the warmup, without the start-up dictionary: 1/%.1f", jfr / steady)
                                        : "");
                line(String.format(Locale.ROOT, "| bytes/instance-min ≤ 1/20 of async-profiler's JFR (%s) | %s | cprof TCP (zstd) %,.0f B/min vs JFR %,.0f B/min = 1/%.1f | %s |",
                        pair[0].substring(6), w, cprof, jfr, factor, verdict));
            }
        }
        for (String w : workloads) {
            List<BenchRun> pairs = Overheads.select(runs, w, "pair");
            List<Double> overlaps = Overheads.of(pairs, r -> r.overlap);
            double o = Overheads.median(overlaps);
            line(String.format(Locale.ROOT, "| overlap of cprof's and async-profiler's method self shares ≥ 0.90 | %s | %s | %s |", w,
                    Overheads.spread(overlaps, "%.3f"), Double.isNaN(o) ? "not measured" : o >= 0.90 ? "met"
                            : String.format(Locale.ROOT, "**missed** by %.3f (from %,.0f cprof and %,.0f async-profiler samples: the fewer,"
                                    + " the more two samplings of one profile differ by chance alone)", 0.90 - o,
                                    Overheads.median(Overheads.of(pairs, r -> r.cprofPairSamples)),
                                    Overheads.median(Overheads.of(pairs, r -> r.apPairSamples)))));
        }
        List<BenchRun> split = Overheads.select(runs, "split", "pair");
        for (String[] who : new String[][] {{"cprof", "c"}, {"async-profiler", "a"}}) {
            ToDoubleFunction<BenchRun> f = who[1].equals("c") ? r -> 100 * r.cprofShareA : r -> 100 * r.apShareA;
            double share = Overheads.median(Overheads.of(split, f));
            double err = Math.abs(share - 100 * KnownSplitWorkload.SHARE_A);
            line(String.format(Locale.ROOT, "| known split 75/25 within ±2 pp (%s) | split | hotA %s %% of hotA+hotB | %s |", who[0],
                    Overheads.spread(Overheads.of(split, f), "%.1f"), Double.isNaN(share) ? "not measured"
                            : err <= 2 ? String.format(Locale.ROOT, "met (%.1f pp off)", err)
                            : String.format(Locale.ROOT, "**missed** by %.1f pp (%.1f pp off)", err - 2, err)));
        }
        line("");
        line("A miss on overhead smaller than the run-to-run spread of the no-profiler runs themselves (the note) cannot be told from"
                + " noise; with one round there is no spread to compare with.");
        line("");
    }

    private void goal(String what, String w, String measured, double value, double limit, String unit, String noise) {
        String verdict = Double.isNaN(value) || Double.isNaN(limit) ? "not measured" : value <= limit ? "met"
                : String.format(Locale.ROOT, "**missed** by %.2f%s (%s)", value - limit, unit, noise);
        line("| " + what + " | " + w + " | " + measured + " | " + verdict + " |");
    }

    /** The spread of the no-profiler runs of a workload: (max − min) / median, in percent. */
    private String noise(String w) {
        List<Double> ref = Overheads.of(Overheads.select(runs, w, "none"), r -> r.metric);
        if (ref.size() < 2) {
            return "one round: noise not measured";
        }
        double spread = 100 * (ref.stream().mapToDouble(d -> d).max().orElseThrow() - ref.stream().mapToDouble(d -> d).min().orElseThrow())
                / Overheads.median(ref);
        return String.format(Locale.ROOT, "the no-profiler runs spread by %.1f %%", spread);
    }

    // ---- tables ----

    private void overhead() {
        line("### Overhead against no profiler");
        line("");
        for (String w : workloads) {
            boolean http = w.equals("http");
            String unit = switch (w) {
                case "http" -> "requests/s";
                case "db" -> "transactions/s";
                default -> "run time s";
            };
            line("`" + w + "`: median (min … max) over rounds; overhead in % of the no-profiler run of the same round (positive = slower).");
            line("");
            line("| configuration | " + unit + " | overhead % |" + (http ? " p99 ms | p99 change % |" : "") + " cpu samples | alloc samples | lock samples |");
            line("|---|---:|---:|" + (http ? "---:|---:|" : "") + "---:|---:|---:|");
            for (String c : OVERHEAD_CONFIGS) {
                List<BenchRun> rs = Overheads.select(runs, w, c);
                if (rs.isEmpty()) {
                    continue;
                }
                boolean ref = c.equals("none");
                line("| " + c + " | " + Overheads.spread(Overheads.of(rs, r -> r.metric), "%,.1f") + " | "
                        + (ref ? "—" : Overheads.spread(Overheads.metric(runs, w, c), "%.2f")) + " |"
                        + (http ? " " + Overheads.spread(Overheads.of(rs, r -> r.p99Ms), "%.2f") + " | "
                                + (ref ? "—" : Overheads.spread(Overheads.p99(runs, w, c), "%.1f")) + " |" : "")
                        + " " + (ref ? "—" : String.format(Locale.ROOT, "%,.0f", Overheads.median(Overheads.of(rs, r -> r.cpuSamples))))
                        + " | " + (ref ? "—" : String.format(Locale.ROOT, "%,.0f", Overheads.median(Overheads.of(rs, r -> r.allocSamples))))
                        + " | " + (ref ? "—" : String.format(Locale.ROOT, "%,.0f", Overheads.median(Overheads.of(rs, r -> r.lockSamples)))) + " |");
            }
            line("");
        }
    }

    private void bytes() {
        line("### Bytes per instance-minute");
        line("");
        line("Every profiler ran for the JVM's whole life (start-up included) in the overhead runs, so bytes/min = file size × 60 / the JVM's"
                + " wall time. cprof's raw figure is its batch file (exactly the local-socket bytes to the CLI or peer); its compressed figure is"
                + " the same batches re-framed through one zstd stream, which is what the TCP hop carries. The other files are compressed"
                + " with zstd (level of `dev.cprof.wire.Compression`) as one frame. async-profiler's collapsed output and cprof's attach-mode"
                + " socket bytes (the CLI's `wire_bytes`) come from the pair runs (measured window only). A JVM here lives well under a"
                + " minute, so the start-up part (cprof's first batches carry the dictionary of frames; a JFR its metadata and constant"
                + " pools) weighs more than in a long-running service; the last column gives cprof's TCP bytes/min of the batches after"
                + " the warmup too (steady state, from the batches' own timestamps).");
        line("");
        line("| workload | output | raw B/min | zstd B/min | raw vs async-profiler JFR (same events) |");
        line("|---|---|---:|---:|---:|");
        for (String w : workloads) {
            for (String c : List.of("cprof-cpu", "ap-cpu", "cprof-all", "ap-all", "jfr-default", "jfr-profile")) {
                List<BenchRun> rs = Overheads.select(runs, w, c);
                if (rs.isEmpty()) {
                    continue;
                }
                double raw = Overheads.median(Overheads.of(rs, r -> r.perMinute(r.dataBytes)));
                double z = Overheads.median(Overheads.of(rs, r -> r.perMinute(c.startsWith("cprof") ? r.cprofTcpBytes : r.dataZstdBytes)));
                String apName = c.endsWith("-all") ? "ap-all" : "ap-cpu";
                double jfr = Overheads.median(Overheads.of(Overheads.select(runs, w, apName), r -> r.perMinute(r.dataBytes)));
                String what = switch (c) {
                    case "cprof-cpu", "cprof-all" -> c + " (socket / TCP zstd stream)";
                    case "ap-cpu", "ap-all" -> c + " JFR";
                    default -> c + " recording";
                };
                double steady = Overheads.median(Overheads.of(rs, r -> r.cprofSteadyTcpPerMin));
                line(String.format(Locale.ROOT, "| %s | %s | %,.0f | %,.0f | %s |", w, what, raw, z,
                        c.startsWith("cprof") ? String.format(Locale.ROOT, "1/%.1f (TCP: 1/%.1f; %s)", jfr / raw, jfr / z,
                                steady > 0 ? String.format(Locale.ROOT, "after warmup %,.0f B/min: 1/%.1f", steady, jfr / steady)
                                        : "the run was too short for a steady state")
                                : c.startsWith("ap") ? "1" : String.format(Locale.ROOT, "%.2f×", raw / jfr)));
            }
            List<BenchRun> pairs = Overheads.select(runs, w, "pair");
            if (!pairs.isEmpty()) {
                line(String.format(Locale.ROOT, "| %s | ap collapsed, cpu (pair runs) | %,.0f | %,.0f | |", w,
                        Overheads.median(Overheads.of(pairs, r -> r.apCollapsedBytes * 60 / r.sessionSeconds)),
                        Overheads.median(Overheads.of(pairs, r -> r.apCollapsedZstdBytes * 60 / r.sessionSeconds))));
                line(String.format(Locale.ROOT, "| %s | cprof attach, cpu: CLI wire_bytes (pair runs) | %,.0f | | |", w,
                        Overheads.median(Overheads.of(pairs, r -> r.cliWireBytes * 60 / r.sessionSeconds))));
            }
        }
        line("");
    }

    private void accuracy() {
        line("### Accuracy: cprof and async-profiler on the same run");
        line("");
        line("Both profiled the same JVM at the same time (`pair` runs): `cprof attach --pid` (cpu, 10 ms) and async-profiler 4.6 loaded"
                + " through jattach (`event=cpu,interval=10ms,signal=" + PairSession.AP_SIGNAL + "`; cprof's CPU timer signal is SIGPROF, so"
                + " async-profiler takes another one and the two do not see each other), started when cprof's agent was mapped and"
                + " stopped when the CLI ended. Overlap = Σ over leaves of min(self share in cprof, self share in async-profiler), leaf"
                + " frames by name on both sides (`/` → `.`, type suffixes such as `_[j]` and cprof's `_[n]` and hidden-class addresses"
                + " removed): native, stub and kernel leaves compare as themselves, and a leaf that is an error frame (cprof's"
                + " `[unknown_Java]` and the other AsyncGetCallTrace failures, async-profiler's `[break_*]`, `[unknown]`, …) counts in"
                + " one `[error]` bucket on each side. Error % = share of the samples whose stack holds an error frame."
                + " (Runs before 2026-12-03 lumped every leaf that was not a Java method, cprof's `[unknown_Java]` included,"
                + " into one bucket: that overlap, 0.90–0.94, was flattering; see the Fidelity section for the honest figures.)"
                + " The split workload burns 75 % of its CPU in `hotA` and 25 % in `hotB`.");
        line("");
        line("| workload | overlap | cprof error % | async-profiler error % | cprof samples | async-profiler samples | cprof hotA share % | async-profiler hotA share % |");
        line("|---|---:|---:|---:|---:|---:|---:|---:|");
        List<String> all = new ArrayList<>(workloads);
        all.add("split");
        for (String w : all) {
            List<BenchRun> rs = Overheads.select(runs, w, "pair");
            if (rs.isEmpty()) {
                continue;
            }
            line(String.format(Locale.ROOT, "| %s | %s | %s | %s | %,.0f | %,.0f | %s | %s |", w, Overheads.spread(Overheads.of(rs, r -> r.overlap), "%.3f"),
                    Overheads.spread(Overheads.of(rs, r -> 100 * r.cprofErrorShare), "%.1f"),
                    Overheads.spread(Overheads.of(rs, r -> 100 * r.apErrorShare), "%.1f"),
                    Overheads.median(Overheads.of(rs, r -> r.cprofPairSamples)), Overheads.median(Overheads.of(rs, r -> r.apPairSamples)),
                    w.equals("split") ? Overheads.spread(Overheads.of(rs, r -> 100 * r.cprofShareA), "%.1f") : "—",
                    w.equals("split") ? Overheads.spread(Overheads.of(rs, r -> 100 * r.apShareA), "%.1f") : "—"));
        }
        line("");
    }

    private void memory() {
        line("### Memory added and the collecting side");
        line("");
        line("Added VmHWM of the workload JVM: median of a configuration minus median of the no-profiler runs (MB). The CLI side: the"
                + " `cprof attach --pid` process of the pair runs, its CPU time (/proc/PID/stat, polled every 100 ms) over the session and its VmHWM;"
                + " the CPU includes the CLI JVM's own start-up (class loading, JIT), which weighs more in short sessions.");
        line("");
        line("| workload | " + String.join(" | ", OVERHEAD_CONFIGS.subList(1, OVERHEAD_CONFIGS.size())) + " | CLI CPU s per session | CLI CPU (% of a core over the session) | CLI VmHWM MB |");
        line("|---|" + "---:|".repeat(OVERHEAD_CONFIGS.size() - 1) + "---:|---:|---:|");
        for (String w : workloads) {
            double ref = Overheads.median(Overheads.of(Overheads.select(runs, w, "none"), r -> r.vmHwmKb));
            StringBuilder row = new StringBuilder("| " + w + " |");
            for (String c : OVERHEAD_CONFIGS.subList(1, OVERHEAD_CONFIGS.size())) {
                double m = Overheads.median(Overheads.of(Overheads.select(runs, w, c), r -> r.vmHwmKb));
                row.append(String.format(Locale.ROOT, " %+.1f |", (m - ref) / 1024));
            }
            List<BenchRun> pairs = Overheads.select(runs, w, "pair");
            row.append(' ').append(Overheads.spread(Overheads.of(pairs, r -> r.cliCpuSeconds), "%.2f")).append(" | ")
                    .append(Overheads.spread(Overheads.of(pairs, r -> 100 * r.cliCpuSeconds / r.sessionSeconds), "%.1f")).append(" | ")
                    .append(Overheads.spread(Overheads.of(pairs, r -> r.cliHwmKb / 1024.0), "%.0f")).append(" |");
            line(row.toString());
        }
        line("");
    }

    private void sweep() {
        line("### Overhead vs sampling interval");
        line("");
        if (png != null) {
            line("![overhead vs sampling interval](" + png.getFileName() + ")");
            line("");
        }
        line("Median overhead % over rounds (the 10 ms points are the main runs); data in `sweep.dat`.");
        line("");
        line("| interval | cprof cpu | async-profiler cpu |");
        line("|---:|---:|---:|");
        String sweepWorkload = runs.stream().filter(r -> r.config.intervalMs() != 10).map(r -> r.workload).findFirst().orElse(null);
        if (sweepWorkload == null) {
            line("| (no sweep runs) | | |");
        } else {
            for (int i : runs.stream().mapToInt(r -> r.config.intervalMs()).distinct().sorted().toArray()) {
                line(String.format(Locale.ROOT, "| %d ms | %s | %s |", i,
                        Overheads.spread(Overheads.metric(runs, sweepWorkload, new ProfilerConfig("cprof-cpu", i).label()), "%.2f"),
                        Overheads.spread(Overheads.metric(runs, sweepWorkload, new ProfilerConfig("ap-cpu", i).label()), "%.2f")));
            }
            line("");
            line("Workload of the sweep: `" + sweepWorkload + "`.");
        }
        line("");
    }

    private void configurations() {
        line("### Configurations and commands");
        line("");
        line("| configuration | JVM option |");
        line("|---|---|");
        Path base = Path.of("OUT");
        for (String c : ProfilerConfig.ALL) {
            List<String> opts = ProfilerConfig.of(c).jvmOptions(Path.of("libcprof.so"), Path.of("libasyncProfiler.so"), base);
            line("| " + c + " | " + (c.equals("pair") ? "none at start; `cprof attach --pid PID -d " + settings.measure()
                    + "s -o OUT.cprof --json` and `jattach PID load libasyncProfiler.so true start,event=cpu,interval=10ms,signal="
                    + PairSession.AP_SIGNAL + "` … `stop,collapsed,file=OUT.ap.collapsed`"
                    : opts.isEmpty() ? "—" : "`" + String.join(" ", opts) + "`") + " |");
        }
        line("");
        line("The order within a round: for each workload the configurations in this order, turned by one more place every round"
                + " (round 2 starts with the second), then the split pair run, then the sweep."
                + " Harness command:");
        line("");
        line("```");
        line(command);
        line("```");
        line("");
        line("The exact command line of every process the harness started is in `commands.txt` next to this file; every run's data in `runs.csv`.");
    }
}
