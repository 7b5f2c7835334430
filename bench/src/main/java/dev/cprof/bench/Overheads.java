package dev.cprof.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Overhead of a configuration against the no-profiler run of the same round and workload, in
 * percent (positive = slower), and medians with their spread over rounds.
 */
final class Overheads {
    private Overheads() {}

    /** requests/s and transactions/s: higher is better; the batch job's run time: lower is better. */
    static boolean higherIsBetter(String workload) {
        return !workload.equals("index");
    }

    /** The successful runs of (workload, configuration label). */
    static List<BenchRun> select(List<BenchRun> runs, String workload, String label) {
        return runs.stream().filter(r -> r.workload.equals(workload) && r.config.label().equals(label) && r.ok()).toList();
    }

    /** Per-round overhead in percent of the workload's metric. */
    static List<Double> metric(List<BenchRun> runs, String workload, String label) {
        boolean higher = higherIsBetter(workload);
        return perRound(runs, workload, label, r -> r.metric, higher);
    }

    /** Per-round change of the p99 latency in percent (http). */
    static List<Double> p99(List<BenchRun> runs, String workload, String label) {
        return perRound(runs, workload, label, r -> r.p99Ms, false);
    }

    private static List<Double> perRound(List<BenchRun> runs, String workload, String label, ToDoubleFunction<BenchRun> f, boolean higher) {
        List<Double> out = new ArrayList<>();
        List<BenchRun> ref = select(runs, workload, "none");
        for (BenchRun r : select(runs, workload, label)) {
            for (BenchRun x : ref) {
                double base = f.applyAsDouble(x);
                double v = f.applyAsDouble(r);
                if (x.round == r.round && base > 0 && v > 0) {
                    out.add(100 * (higher ? 1 - v / base : v / base - 1));
                }
            }
        }
        return out;
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = values.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static List<Double> of(List<BenchRun> runs, ToDoubleFunction<BenchRun> f) {
        return runs.stream().mapToDouble(f).filter(d -> !Double.isNaN(d)).boxed().toList();
    }

    /** "median (min … max)" with FORMAT for each number, or "—". */
    static String spread(List<Double> values, String format) {
        if (values.isEmpty()) {
            return "—";
        }
        double min = values.stream().mapToDouble(d -> d).min().orElseThrow();
        double max = values.stream().mapToDouble(d -> d).max().orElseThrow();
        String m = String.format(Locale.ROOT, format, median(values));
        return values.size() == 1 ? m + " (1 run)"
                : m + " (" + String.format(Locale.ROOT, format, min) + " … " + String.format(Locale.ROOT, format, max) + ")";
    }
}
