package dev.cprof.cli.doctor;

import java.nio.file.Path;
import java.util.Optional;

/** kernel.kptr_restrict: matters only for kernel frames, which cprof does not sample. */
public final class KptrRestrictCheck implements Check.Single {
    static final String NAME = "kptr_restrict";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Result result() {
        Optional<Integer> v = Probes.readInt(Path.of("/proc/sys/kernel/kptr_restrict"));
        if (v.isEmpty()) {
            return Result.ok(NAME, "not present");
        }
        int k = v.get();
        String meaning = k == 0 ? "kernel symbol addresses visible" : k == 1 ? "kernel symbol addresses for root (CAP_SYSLOG) only"
                : "kernel symbol addresses hidden from everyone";
        return Result.ok(NAME, k + " (" + meaning + "); matters only for kernel frames, which cprof does not sample");
    }
}
