package dev.cprof.cli.doctor;

import java.nio.file.Path;
import java.util.Optional;

/** kernel.perf_event_paranoid: reported for comparison with perf-based profilers; cprof does not need perf events. */
public final class PerfEventParanoidCheck implements Check.Single {
    static final String NAME = "perf_event_paranoid";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Result result() {
        Optional<Integer> v = Probes.readInt(Path.of("/proc/sys/kernel/perf_event_paranoid"));
        if (v.isEmpty()) {
            return Result.ok(NAME, "not present (no perf events in this kernel or container);"
                    + " cprof samples with CPU timers and does not need them");
        }
        int p = v.get();
        String meaning = p <= -1 ? "no restrictions"
                : p == 0 ? "perf events for users, no raw tracepoints"
                : p == 1 ? "user and kernel profiling for users"
                : p == 2 ? "user-space profiling only for users"
                : "perf events for root only";
        return Result.ok(NAME, p + " (" + meaning + "); cprof samples with CPU timers and does not"
                + " need perf events (async-profiler and perf do)");
    }
}
