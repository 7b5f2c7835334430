package dev.cprof.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The plot of overhead against sampling interval for cprof and async-profiler (cpu), made with
 * gnuplot: OUT/sweep.dat (interval, cprof median %, async-profiler median %), OUT/overhead.gp and
 * OUT/overhead-vs-interval.png. The 10 ms points are the main runs of the same workload.
 */
final class OverheadPlot {
    static final String PNG = "overhead-vs-interval.png";

    private OverheadPlot() {}

    /** Returns the PNG, or null when gnuplot failed (the reason is printed). */
    static Path write(String gnuplot, Path out, List<BenchRun> runs, String workload, List<Integer> sweep) throws IOException, InterruptedException {
        TreeSet<Integer> intervals = new TreeSet<>(sweep);
        intervals.add(10);
        List<String> lines = new ArrayList<>();
        lines.add("# interval_ms cprof_cpu_overhead_pct async_profiler_cpu_overhead_pct (medians over rounds, workload " + workload + ")");
        for (int i : intervals) {
            double c = Overheads.median(Overheads.metric(runs, workload, new ProfilerConfig("cprof-cpu", i).label()));
            double a = Overheads.median(Overheads.metric(runs, workload, new ProfilerConfig("ap-cpu", i).label()));
            lines.add(String.format(Locale.ROOT, "%d %s %s", i, Double.isNaN(c) ? "NaN" : String.format(Locale.ROOT, "%.3f", c),
                    Double.isNaN(a) ? "NaN" : String.format(Locale.ROOT, "%.3f", a)));
        }
        Files.write(out.resolve("sweep.dat"), lines);
        String script = String.join("\n",
                "set terminal png size 900,560",
                "set output '" + out.resolve(PNG) + "'",
                "set title 'CPU profiling overhead vs sampling interval (workload " + workload + ", median over rounds)'",
                "set xlabel 'sampling interval (ms)'",
                "set ylabel 'overhead vs no profiler (%)'",
                "set logscale x",
                "set xtics (" + String.join(", ", intervals.stream().map(String::valueOf).toList()) + ")",
                "set xrange [0.8:25]",
                "set grid",
                "set key top right",
                "plot '" + out.resolve("sweep.dat") + "' using 1:2 with linespoints lw 2 pt 7 title 'cprof cpu', \\",
                "     '' using 1:3 with linespoints lw 2 pt 5 title 'async-profiler 4.6 cpu', \\",
                "     0 with lines lc rgb 'gray' notitle",
                "");
        Path gp = out.resolve("overhead.gp");
        Files.writeString(gp, script);
        Process p = new ProcessBuilder(gnuplot, gp.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || !Files.exists(out.resolve(PNG))) {
            System.err.println("gnuplot failed: " + output);
            return null;
        }
        return out.resolve(PNG);
    }
}
